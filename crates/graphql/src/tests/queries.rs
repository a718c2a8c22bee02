//! Queries through the HTTP router, compared as whole JSON responses.

use serde_json::{json, Value as Json};

use super::fixture::{self, failed_at, status};
use super::http::TestServer;

async fn server() -> TestServer {
    TestServer::fixture(status()).await
}

/// The ids a collection query returns, in order.
async fn ids(server: &TestServer, query: &str) -> Vec<String> {
    let response = server.query(query).await;
    let data = response
        .get("data")
        .unwrap_or_else(|| panic!("{query}: {response}"));
    let (_, list) = data.as_object().unwrap().iter().next().unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|entity| entity["id"].as_str().unwrap().to_string())
        .collect()
}

/// The single error message of a failed query (its data must be absent, as in graph-node).
async fn error(server: &TestServer, query: &str) -> String {
    let response = server.query(query).await;
    assert!(response.get("data").is_none(), "{query}: {response}");
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{query}: {response}");
    errors[0]["message"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_by_bytes_id_encodes_every_scalar() {
    let server = server().await;
    let response = server
        .query(
            r#"{ token(id: "0x01") { id name symbol decimals supply price volume createdAt
                 active kind tags owner { id name } } }"#,
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "token": {
            "id": "0x01", "name": "Alpha Token", "symbol": "ALPHA", "decimals": 18,
            "supply": "100", "price": "1.5", "volume": "9000000000",
            "createdAt": "1700000000000000", "active": true, "kind": "Fungible",
            "tags": ["defi", "gov"], "owner": { "id": "alice", "name": "Alice" }
        } } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_of_every_type_look_up() {
    let server = server().await;
    let response = server
        .query(
            r#"{ upper: token(id: "0xAB01") { id symbol price }
                 bare: token(id: "ab01") { id }
                 missing: token(id: "0x09") { id }
                 transfer(id: "2") { id amount memo from { id } token { id } }
                 numeric: transfer(id: 1) { id memo }
                 account(id: "bob") { id kinds } }"#,
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "upper": { "id": "0xab01", "symbol": "GAM", "price": "0.000001" },
            "bare": { "id": "0xab01" },
            "missing": null,
            "transfer": { "id": "2", "amount": "50", "memo": null, "from": { "id": "bob" },
                          "token": { "id": "0x01" } },
            "numeric": { "id": "1", "memo": "0xdeadbeef" },
            "account": { "id": "bob", "kinds": [] }
        } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_a_graphql_error() {
    let server = server().await;
    assert_eq!(
        server.query(r#"{ token(id: "0xzz") { id } }"#).await,
        json!({ "errors": [{
            "message": "Failed to decode `Bytes` value: `invalid hex string `0xzz``",
            "locations": [{ "line": 1, "column": 3 }]
        }] })
    );
    assert_eq!(
        error(&server, r#"{ tokens(where: { supply_gt: "ten" }) { id } }"#).await,
        "Failed to decode `BigInt` value: `string is not a BigInt: `ten``"
    );
    assert_eq!(
        error(&server, r#"{ transfer(id: "one") { id } }"#).await,
        "Failed to decode `Int8` value: `unexpected value `\"one\"``"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_entity_is_a_graphql_error() {
    let server = server().await;
    assert_eq!(
        server.query("{ nothing { id } }").await,
        json!({ "errors": [{
            "message": "Unknown field \"nothing\" on type \"Query\".",
            "locations": [{ "line": 1, "column": 3 }]
        }] })
    );
    let message = error(&server, "{ tokens(where: { nope: 1 }) { id } }").await;
    assert!(message.contains("unknown field \"nope\""), "{message}");
}

/// `where` filters on `tokens` and the ids they select (ordered by id).
pub(super) const TOKEN_FILTERS: &[(&str, &[&str])] = &[
    // String
    (r#"name: "Beta""#, &["0x02"]),
    (r#"name_not: "Beta""#, &["0x01", "0xab01"]),
    (r#"name_gt: "B""#, &["0x02", "0xab01"]),
    (r#"name_lt: "Beta""#, &["0x01"]),
    (r#"name_gte: "Beta", name_lte: "Beta""#, &["0x02"]),
    (r#"name_in: ["Beta", "gamma ray"]"#, &["0x02", "0xab01"]),
    (r#"name_not_in: ["Beta"]"#, &["0x01", "0xab01"]),
    (r#"name_contains: "ta""#, &["0x02"]),
    (r#"name_contains_nocase: "TOKEN""#, &["0x01"]),
    (r#"name_not_contains: "Token""#, &["0x02", "0xab01"]),
    (r#"name_not_contains_nocase: "ALPHA""#, &["0x02", "0xab01"]),
    (r#"name_starts_with: "Al""#, &["0x01"]),
    (r#"name_starts_with_nocase: "GAMMA""#, &["0xab01"]),
    (r#"name_not_starts_with: "Al""#, &["0x02", "0xab01"]),
    (r#"name_not_starts_with_nocase: "b""#, &["0x01", "0xab01"]),
    (r#"name_ends_with: "ray""#, &["0xab01"]),
    (r#"name_ends_with_nocase: "TOKEN""#, &["0x01"]),
    (r#"name_not_ends_with: "a""#, &["0x01", "0xab01"]),
    (r#"name_not_ends_with_nocase: "RAY""#, &["0x01", "0x02"]),
    ("symbol: null", &["0x02"]),
    ("symbol_not: null", &["0x01", "0xab01"]),
    // Int, BigInt (strings and numbers), BigDecimal, Int8, Timestamp
    ("decimals_gt: 6", &["0x01"]),
    ("decimals_lte: 6", &["0x02", "0xab01"]),
    (r#"supply_gt: "50""#, &["0x01", "0xab01"]),
    ("supply_lt: 10", &["0x02"]),
    (r#"supply_in: ["9", "100"]"#, &["0x01", "0x02"]),
    (r#"supply_not_in: ["9"]"#, &["0x01", "0xab01"]),
    (r#"price_gte: "1""#, &["0x01"]),
    ("price_lt: 0.5", &["0xab01"]),
    (r#"volume_lt: "0""#, &["0x02"]),
    ("volume_gte: 0", &["0x01", "0xab01"]),
    (r#"createdAt_gt: "1650000000000000""#, &["0x01", "0xab01"]),
    // Boolean and enum
    ("active: false", &["0x02"]),
    ("active_not: false", &["0x01", "0xab01"]),
    ("active_in: [true]", &["0x01", "0xab01"]),
    ("kind: NonFungible", &["0x02"]),
    ("kind_not: NonFungible", &["0x01", "0xab01"]),
    ("kind_in: [Fungible]", &["0x01", "0xab01"]),
    ("kind_not_in: [Fungible]", &["0x02"]),
    // Bytes
    (r#"id: "0x02""#, &["0x02"]),
    (r#"id_gt: "0x01""#, &["0x02", "0xab01"]),
    (r#"id_in: ["0x01", "0xAB01"]"#, &["0x01", "0xab01"]),
    (r#"id_not_in: ["0x01"]"#, &["0x02", "0xab01"]),
    (r#"id_contains: "0xab""#, &["0xab01"]),
    (r#"id_not_contains: "0x01""#, &["0x02"]),
    // Lists
    (r#"tags: ["nft"]"#, &["0x02"]),
    ("tags_not: []", &["0x01", "0x02"]),
    (r#"tags_contains: ["gov"]"#, &["0x01"]),
    (r#"tags_contains: ["defi", "gov"]"#, &["0x01"]),
    (r#"tags_not_contains: ["nft", "gov"]"#, &["0xab01"]),
    // References
    (r#"owner: "bob""#, &["0x02"]),
    (r#"owner_not: "alice""#, &["0x02"]),
    (r#"owner_in: ["alice", "bob"]"#, &["0x01", "0x02"]),
    (r#"owner_starts_with: "al""#, &["0x01"]),
    // Boolean combinations
    (
        r#"or: [{ name: "Beta" }, { decimals: 0 }]"#,
        &["0x02", "0xab01"],
    ),
    (
        r#"and: [{ active: true }, { supply_gt: "99" }]"#,
        &["0x01", "0xab01"],
    ),
    (
        "or: [{ and: [{ active: true }, { decimals: 18 }] }, { kind: NonFungible }]",
        &["0x01", "0x02"],
    ),
    ("or: []", &[]),
];

/// Filters on other types: whole queries and the ids they select.
pub(super) const OTHER_FILTERS: &[(&str, &[&str])] = &[
    (
        r#"{ transfers(where: { memo_contains: "0xbeef" }) { id } }"#,
        &["1", "3"],
    ),
    (
        r#"{ transfers(where: { memo_not_contains: "0xdead" }) { id } }"#,
        &["3"],
    ),
    (
        r#"{ transfers(where: { token: "0x01" }) { id } }"#,
        &["1", "2"],
    ),
    (
        r#"{ transfers(where: { id_gte: "2" }) { id } }"#,
        &["2", "3"],
    ),
    (
        "{ accounts(where: { kinds_contains: [Fungible] }) { id } }",
        &["alice"],
    ),
    (
        r#"{ accounts(where: { tokens_contains: ["0x02"] }) { id } }"#,
        &["alice", "bob"],
    ),
    ("{ accounts(where: { kinds: null }) { id } }", &["carol"]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_of_every_kind() {
    let server = server().await;
    for (filter, expected) in TOKEN_FILTERS {
        let query = format!("{{ tokens(where: {{ {filter} }}) {{ id }} }}");
        assert_eq!(ids(&server, &query).await, *expected, "{filter}");
    }
    for (query, expected) in OTHER_FILTERS {
        assert_eq!(ids(&server, query).await, *expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_errors() {
    let server = server().await;
    assert_eq!(
        error(
            &server,
            r#"{ tokens(where: { name: "a", or: [{ decimals: 1 }] }) { id } }"#
        )
        .await,
        "Cannot mix column filters with 'or' operator at the same level. Found column filter(s) \
         'name' alongside 'or' operator.\n\nInstead of:\nwhere: { 'name', or: [...] }\n\nUse:\n\
         where: { or: [{ 'name', ... }, { 'name', ... }] }"
    );
    assert_eq!(
        error(
            &server,
            r#"{ transfers(where: { token_starts_with: "0x" }) { id } }"#
        )
        .await,
        "The filter `token_starts_with` is not supported yet by this indexer"
    );
    assert_eq!(
        error(&server, "{ tokens(where: { decimals_gt: null }) { id } }").await,
        "Filter `decimals_gt` does not accept null"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_by_is_by_value() {
    let server = server().await;
    assert_eq!(
        server
            .query("{ tokens(orderBy: supply) { id supply } }")
            .await,
        json!({ "data": { "tokens": [
            { "id": "0x02", "supply": "9" },
            { "id": "0x01", "supply": "100" },
            { "id": "0xab01", "supply": "1000000000000000000000000" }
        ] } })
    );
    assert_eq!(
        ids(
            &server,
            "{ tokens(orderBy: supply, orderDirection: desc) { id } }"
        )
        .await,
        ["0xab01", "0x01", "0x02"]
    );
    // Nulls sort last ascending and first descending, as in PostgreSQL.
    assert_eq!(
        ids(&server, "{ tokens(orderBy: price) { id } }").await,
        ["0xab01", "0x01", "0x02"]
    );
    assert_eq!(
        ids(
            &server,
            "{ tokens(orderBy: price, orderDirection: desc) { id } }"
        )
        .await,
        ["0x02", "0x01", "0xab01"]
    );
    assert_eq!(
        ids(
            &server,
            "{ tokens(orderBy: name, orderDirection: asc) { id } }"
        )
        .await,
        ["0x01", "0x02", "0xab01"]
    );
    assert_eq!(
        ids(
            &server,
            "{ transfers(orderBy: amount, orderDirection: desc) { id } }"
        )
        .await,
        ["2", "3", "1"]
    );
    assert_eq!(
        error(&server, "{ tokens(orderBy: holders) { id } }").await,
        "Ordering by `holders` is not supported for type `Token`: only fields holding a single \
         stored value can be sorted on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_and_its_limits() {
    let server = server().await;
    assert_eq!(
        ids(&server, "{ tokens(first: 2) { id } }").await,
        ["0x01", "0x02"]
    );
    assert_eq!(
        ids(&server, "{ tokens(first: 2, skip: 2) { id } }").await,
        ["0xab01"]
    );
    assert!(ids(&server, "{ tokens(skip: 5) { id } }").await.is_empty());
    assert_eq!(
        ids(&server, "{ tokens(first: null, skip: null) { id } }").await,
        ["0x01", "0x02", "0xab01"]
    );
    assert_eq!(
        server.query("{ tokens(first: 0) { id } }").await,
        json!({ "errors": [{
            "message": "The `first` argument must be between 0 and 1000, but is 0",
            "locations": [{ "line": 1, "column": 3 }]
        }] })
    );
    assert_eq!(
        error(&server, "{ tokens(first: 1001) { id } }").await,
        "The `first` argument must be between 0 and 1000, but is 1001"
    );
    assert_eq!(
        error(&server, "{ tokens(skip: -1) { id } }").await,
        "The `skip` argument must be between 0 and 4294967295, but is -1"
    );
    assert_eq!(
        error(
            &server,
            r#"{ token(id: "0x01") { holders(first: 5000) { id } } }"#
        )
        .await,
        "The `first` argument must be between 0 and 1000, but is 5000"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_and_list_fields_take_collection_arguments() {
    let server = server().await;
    let response = server
        .query(
            r#"{
              token(id: "0x02") {
                holders(orderBy: name, orderDirection: desc) { id }
                first: holders(first: 1) { id }
                transfers { id amount }
                stat { id }
              }
              alpha: token(id: "0x01") {
                transfers(where: { amount_gt: "10" }) { id amount }
                second: transfers(first: 1, skip: 1) { id }
                stat { id count token { id } }
              }
              account(id: "alice") {
                tokens(orderBy: supply, orderDirection: desc) { id supply }
                fungible: tokens(where: { kind: Fungible }) { id }
                owned { id }
              }
            }"#,
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "token": {
                "holders": [{ "id": "bob" }, { "id": "alice" }],
                "first": [{ "id": "alice" }],
                "transfers": [{ "id": "3", "amount": "7" }],
                "stat": null
            },
            "alpha": {
                "transfers": [{ "id": "2", "amount": "50" }],
                "second": [{ "id": "2" }],
                "stat": { "id": "s1", "count": 2, "token": { "id": "0x01" } }
            },
            "account": {
                "tokens": [{ "id": "0x01", "supply": "100" }, { "id": "0x02", "supply": "9" }],
                "fungible": [{ "id": "0x01" }],
                "owned": [{ "id": "0x01" }]
            }
        } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_constraints() {
    let server = server().await;
    let response = server
        .query(
            r#"{
              old: token(id: "0x01", block: { number: 3 }) { supply }
              early: tokens(block: { number: 1 }) { id }
              nested: account(id: "alice", block: { number: 2 }) { tokens { id supply } }
              gte: tokens(block: { number_gte: 10 }, first: 1) { id }
              head: tokens(block: { hash: "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, first: 1) { id }
            }"#,
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "old": { "supply": "10" },
            "early": [{ "id": "0x01" }],
            "nested": { "tokens": [{ "id": "0x01", "supply": "10" }, { "id": "0x02", "supply": "9" }] },
            "gte": [{ "id": "0x01" }],
            "head": [{ "id": "0x01" }]
        } })
    );
    assert_eq!(
        error(&server, "{ tokens(block: { number: 11 }) { id } }").await,
        "Failed to decode `block.number` value: `subgraph QmTestDeployment has only indexed up \
         to block number 10 and data for block number 11 is therefore not yet available`"
    );
    assert_eq!(
        error(&server, "{ tokens(block: { number_gte: 12 }) { id } }").await,
        "Failed to decode `block.number_gte` value: `subgraph QmTestDeployment has only indexed \
         up to block number 10 and data for block number 12 is therefore not yet available`"
    );
    let message = error(
        &server,
        r#"{ tokens(block: { hash: "0x0101010101010101010101010101010101010101010101010101010101010101" }) { id } }"#,
    )
    .await;
    assert!(
        message.starts_with("Failed to decode `block.hash` value: `no block with that hash found"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_reports_the_block_and_health() {
    let server = server().await;
    let head_hash = format!("0x{}", "aa".repeat(32));
    assert_eq!(
        server
            .query(
                "{ _meta { block { number hash timestamp parentHash } deployment \
                 hasIndexingErrors } }"
            )
            .await,
        json!({ "data": { "_meta": {
            "block": { "number": 10, "hash": head_hash, "timestamp": 1700000100,
                       "parentHash": null },
            "deployment": "QmTestDeployment",
            "hasIndexingErrors": false
        } } })
    );
    assert_eq!(
        server
            .query("{ _meta(block: { number: 4 }) { block { number hash timestamp } } }")
            .await,
        json!({ "data": { "_meta": { "block": { "number": 4, "hash": null, "timestamp": null } } } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_policy_withholds_data_of_a_failed_subgraph() {
    let server = TestServer::fixture(failed_at(8)).await;
    let indexing_error = json!([{ "message": "indexing_error" }]);
    assert_eq!(
        server.query("{ tokens { id } }").await,
        json!({ "errors": indexing_error })
    );
    assert_eq!(
        server
            .query("{ tokens(subgraphError: allow, first: 1) { id } }")
            .await,
        json!({ "data": { "tokens": [{ "id": "0x01" }] }, "errors": indexing_error })
    );
    assert_eq!(
        server
            .query("{ tokens { id } _meta { hasIndexingErrors } }")
            .await,
        json!({ "data": { "_meta": { "hasIndexingErrors": true } }, "errors": indexing_error })
    );
    assert_eq!(
        server.query("{ _meta { hasIndexingErrors } }").await,
        json!({ "data": { "_meta": { "hasIndexingErrors": true } } })
    );
    // Before the failure the data is intact.
    assert_eq!(
        server
            .query("{ _meta(block: { number: 7 }) { hasIndexingErrors } tokens(block: { number: 7 }, first: 1) { id } }")
            .await,
        json!({ "data": {
            "_meta": { "hasIndexingErrors": false },
            "tokens": [{ "id": "0x01" }]
        } })
    );
    assert_eq!(
        server
            .query("{ before: tokens(block: { number: 7 }, first: 1) { id } after: tokens { id } }")
            .await,
        json!({ "data": { "before": [{ "id": "0x01" }] }, "errors": indexing_error })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_merge_their_implementors() {
    let server = server().await;
    assert_eq!(
        server
            .query("{ nameds(orderBy: name) { __typename id name } }")
            .await,
        json!({ "data": { "nameds": [
            { "__typename": "Pool", "id": "pool1", "name": "Aardvark pool" },
            { "__typename": "Account", "id": "alice", "name": "Alice" },
            { "__typename": "Account", "id": "bob", "name": "Bob" },
            { "__typename": "Pool", "id": "pool2", "name": "Zeta pool" },
            { "__typename": "Account", "id": "carol", "name": "carol" }
        ] } })
    );
    assert_eq!(
        ids(
            &server,
            "{ nameds(first: 2, skip: 1, orderBy: name, orderDirection: desc) { id } }"
        )
        .await,
        ["pool2", "bob"]
    );
    assert_eq!(
        ids(
            &server,
            r#"{ nameds(where: { name_starts_with: "A" }) { id } }"#
        )
        .await,
        ["alice", "pool1"]
    );
    assert_eq!(
        server
            .query(
                r#"{ named(id: "pool2") { __typename name ... on Pool { tvl } }
                     account: named(id: "carol") { __typename ... on Account { kinds } } }"#
            )
            .await,
        json!({ "data": {
            "named": { "__typename": "Pool", "name": "Zeta pool", "tvl": "3" },
            "account": { "__typename": "Account", "kinds": null }
        } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_and_operation_name() {
    let server = server().await;
    let response = server
        .post(json!({
            "query": "query One($id: ID!, $min: BigInt) { token(id: $id) { name } \
                      tokens(where: { supply_gte: $min }) { id } } \
                      query Two { tokens { id } }",
            "variables": { "id": "0x02", "min": "100" },
            "operationName": "One"
        }))
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "token": { "name": "Beta" },
            "tokens": [{ "id": "0x01" }, { "id": "0xab01" }]
        } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subgraph_without_blocks_cannot_be_queried_yet() {
    let mut status = status();
    status.head = None;
    let server = TestServer::fixture(status).await;
    assert_eq!(
        error(&server, "{ tokens { id } }").await,
        "Subgraph `QmTestDeployment` has not started syncing yet. Wait for it to ingest a few \
         blocks before querying it"
    );
    // Introspection needs no block.
    let response = server.query("{ __type(name: \"Token\") { name } }").await;
    assert_eq!(
        response,
        json!({ "data": { "__type": { "name": "Token" } } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_one_consistent_block() {
    let store = fixture::store(status());
    let server = TestServer::start(fixture::server(store.clone())).await;
    server
        .query(r#"{ tokens(first: 1) { id owner { id } transfers { id } } }"#)
        .await;
    let queries = store.queries.lock().unwrap();
    assert!(!queries.is_empty());
    assert!(
        queries.iter().all(|q| q.block == Some(fixture::HEAD)),
        "{queries:?}"
    );
    let first: Vec<Json> = queries.iter().map(|q| json!(q.first)).collect();
    assert_eq!(first, [json!(1), json!(100)]);
}
