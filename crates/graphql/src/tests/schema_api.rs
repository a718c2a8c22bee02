//! The derived schema, read back through introspection, and as SDL against a golden file.

use std::sync::Arc;

use serde_json::{json, Value as Json};
use sprig_manifest::Schema;

use super::fixture;
use crate::{QueryRequest, SubgraphApi};

fn api() -> SubgraphApi {
    let store = fixture::store(fixture::status());
    SubgraphApi::new(fixture::DEPLOYMENT, fixture::schema(), store).unwrap()
}

fn introspect(api: &SubgraphApi, query: &str) -> Json {
    let response = api.execute_blocking(QueryRequest::new(query));
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.unwrap().into_json().unwrap()
}

/// A type reference as SDL text: `[Token!]!`.
fn type_text(ty: &Json) -> String {
    let inner = || type_text(&ty["ofType"]);
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", inner()),
        "LIST" => format!("[{}]", inner()),
        _ => ty["name"].as_str().unwrap().to_string(),
    }
}

const TYPE_REF: &str =
    "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// `name: Type` (and `= default`) of each field, argument or input field.
fn signatures(items: &Json) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let mut text = format!(
                "{}: {}",
                item["name"].as_str().unwrap(),
                type_text(&item["type"])
            );
            if let Some(default) = item.get("defaultValue").and_then(Json::as_str) {
                text.push_str(&format!(" = {default}"));
            }
            text
        })
        .collect()
}

fn fields(api: &SubgraphApi, type_name: &str) -> Vec<String> {
    let data = introspect(
        api,
        &format!(r#"{{ __type(name: "{type_name}") {{ fields {{ name {TYPE_REF} }} }} }}"#),
    );
    signatures(&data["__type"]["fields"])
}

fn input_fields(api: &SubgraphApi, type_name: &str) -> Vec<String> {
    let data = introspect(
        api,
        &format!(
            r#"{{ __type(name: "{type_name}") {{ inputFields {{ name defaultValue {TYPE_REF} }} }} }}"#
        ),
    );
    signatures(&data["__type"]["inputFields"])
}

fn args(api: &SubgraphApi, type_name: &str, field: &str) -> Vec<String> {
    let data = introspect(
        api,
        &format!(
            r#"{{ __type(name: "{type_name}") {{ fields {{ name args {{ name defaultValue {TYPE_REF} }} }} }} }}"#
        ),
    );
    let field = data["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == field)
        .unwrap_or_else(|| panic!("{type_name}.{field}"))
        .clone();
    signatures(&field["args"])
}

fn enum_values(api: &SubgraphApi, type_name: &str) -> Vec<String> {
    let data = introspect(
        api,
        &format!(r#"{{ __type(name: "{type_name}") {{ enumValues {{ name }} }} }}"#),
    );
    data["__type"]["enumValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn query_root_has_singular_plural_and_meta_fields() {
    let api = api();
    assert_eq!(
        fields(&api, "Query"),
        [
            "token: Token",
            "tokens: [Token!]!",
            "account: Account",
            "accounts: [Account!]!",
            "transfer: Transfer",
            "transfers: [Transfer!]!",
            "tokenStat: TokenStat",
            "tokenStats: [TokenStat!]!",
            "pool: Pool",
            "pools: [Pool!]!",
            "named: Named",
            "nameds: [Named!]!",
            "_meta: _Meta_",
        ]
    );
    assert_eq!(
        args(&api, "Query", "token"),
        [
            "id: ID!",
            "block: Block_height",
            "subgraphError: _SubgraphErrorPolicy_! = deny"
        ]
    );
    assert_eq!(
        args(&api, "Query", "tokens"),
        [
            "skip: Int = 0",
            "first: Int = 100",
            "orderBy: Token_orderBy",
            "orderDirection: OrderDirection",
            "where: Token_filter",
            "block: Block_height",
            "subgraphError: _SubgraphErrorPolicy_! = deny"
        ]
    );
    assert_eq!(args(&api, "Query", "_meta"), ["block: Block_height"]);
}

#[test]
fn entity_types_keep_their_fields_and_types() {
    let api = api();
    assert_eq!(
        fields(&api, "Token"),
        [
            "id: Bytes!",
            "name: String!",
            "symbol: String",
            "decimals: Int!",
            "supply: BigInt!",
            "price: BigDecimal",
            "volume: Int8!",
            "createdAt: Timestamp!",
            "active: Boolean!",
            "kind: Kind!",
            "tags: [String!]!",
            "owner: Account",
            "holders: [Account!]!",
            "transfers: [Transfer!]!",
            "stat: TokenStat",
        ]
    );
    assert_eq!(
        fields(&api, "Transfer"),
        [
            "id: Int8!",
            "token: Token!",
            "from: Account!",
            "amount: BigInt!",
            "memo: Bytes"
        ]
    );
    let collection = [
        "skip: Int = 0",
        "first: Int = 100",
        "orderBy: Account_orderBy",
        "orderDirection: OrderDirection",
        "where: Account_filter",
    ];
    assert_eq!(args(&api, "Token", "holders"), collection);
    assert_eq!(args(&api, "Token", "tags"), Vec::<String>::new());
    assert_eq!(args(&api, "Account", "tokens")[2], "orderBy: Token_orderBy");
    assert_eq!(enum_values(&api, "Kind"), ["Fungible", "NonFungible"]);
}

#[test]
fn filters_follow_graph_node_op_table() {
    let api = api();
    let token_filter = input_fields(&api, "Token_filter");
    let ops = |field: &str| -> Vec<&str> {
        token_filter
            .iter()
            .filter(|f| f.starts_with(&format!("{field}:")) || f.starts_with(&format!("{field}_")))
            .map(String::as_str)
            .collect()
    };
    assert_eq!(
        ops("id"),
        [
            "id: Bytes",
            "id_not: Bytes",
            "id_gt: Bytes",
            "id_lt: Bytes",
            "id_gte: Bytes",
            "id_lte: Bytes",
            "id_in: [Bytes!]",
            "id_not_in: [Bytes!]",
            "id_contains: Bytes",
            "id_not_contains: Bytes"
        ]
    );
    assert_eq!(ops("name").len(), 20);
    assert!(ops("name").contains(&"name_not_ends_with_nocase: String"));
    assert_eq!(ops("supply").len(), 8);
    assert_eq!(ops("price")[6], "price_in: [BigDecimal!]");
    assert_eq!(ops("volume")[0], "volume: Int8");
    assert_eq!(ops("createdAt")[2], "createdAt_gt: Timestamp");
    assert_eq!(
        ops("active"),
        [
            "active: Boolean",
            "active_not: Boolean",
            "active_in: [Boolean!]",
            "active_not_in: [Boolean!]"
        ]
    );
    assert_eq!(
        ops("kind"),
        [
            "kind: Kind",
            "kind_not: Kind",
            "kind_in: [Kind!]",
            "kind_not_in: [Kind!]"
        ]
    );
    assert_eq!(
        ops("tags"),
        [
            "tags: [String!]",
            "tags_not: [String!]",
            "tags_contains: [String!]",
            "tags_not_contains: [String!]"
        ]
    );
    // A reference: the id's string operators, then the child filter (graph-node's order).
    assert_eq!(ops("owner").len(), 21);
    assert_eq!(ops("owner")[0], "owner: String");
    assert_eq!(ops("owner")[20], "owner_: Account_filter");
    // Derived fields have only the child filter.
    assert_eq!(ops("holders"), ["holders_: Account_filter"]);
    assert_eq!(ops("transfers"), ["transfers_: Transfer_filter"]);
    assert_eq!(
        token_filter[token_filter.len() - 2..],
        ["and: [Token_filter]", "or: [Token_filter]"]
    );

    // A reference to a Bytes-id entity is filtered as a String, like graph-node.
    let transfer_filter = input_fields(&api, "Transfer_filter");
    assert!(transfer_filter.contains(&"token_starts_with: String".to_string()));
    assert!(transfer_filter.contains(&"id_in: [Int8!]".to_string()));
    let account_filter = input_fields(&api, "Account_filter");
    assert!(account_filter.contains(&"tokens_contains: [String!]".to_string()));
    assert!(account_filter.contains(&"kinds_not: [Kind!]".to_string()));
}

#[test]
fn order_by_and_builtin_types() {
    let api = api();
    // Each field holding one entity is followed by graph-node's child sort keys: the child's
    // fields holding one scalar or enum (not `Token.tags`, a list, nor `Token.owner`, an entity).
    assert_eq!(
        enum_values(&api, "Transfer_orderBy"),
        [
            "id",
            "token",
            "token__id",
            "token__name",
            "token__symbol",
            "token__decimals",
            "token__supply",
            "token__price",
            "token__volume",
            "token__createdAt",
            "token__active",
            "token__kind",
            "from",
            "from__id",
            "from__name",
            "amount",
            "memo"
        ]
    );
    assert_eq!(enum_values(&api, "OrderDirection"), ["asc", "desc"]);
    assert_eq!(
        enum_values(&api, "_SubgraphErrorPolicy_"),
        ["allow", "deny"]
    );
    assert_eq!(
        input_fields(&api, "Block_height"),
        ["hash: Bytes", "number: Int", "number_gte: Int"]
    );
    assert_eq!(
        fields(&api, "_Meta_"),
        [
            "block: _Block_!",
            "deployment: String!",
            "hasIndexingErrors: Boolean!"
        ]
    );
    assert_eq!(
        fields(&api, "_Block_"),
        [
            "hash: Bytes",
            "number: Int!",
            "timestamp: Int",
            "parentHash: Bytes"
        ]
    );
    let data = introspect(
        &api,
        r#"{ __type(name: "Named") { kind fields { name } possibleTypes { name } } }"#,
    );
    assert_eq!(
        data,
        json!({ "__type": {
            "kind": "INTERFACE",
            "fields": [{ "name": "id" }, { "name": "name" }],
            "possibleTypes": [{ "name": "Account" }, { "name": "Pool" }]
        } })
    );
}

/// The whole derived schema, reviewed as `testdata/api.graphql`. Regenerate with
/// `SPRIG_UPDATE_GOLDEN=1 cargo test -p sprig-graphql`.
#[test]
fn sdl_matches_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/api.graphql");
    let sdl = api().sdl();
    if std::env::var_os("SPRIG_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &sdl).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        golden == sdl,
        "the derived schema changed; review it with SPRIG_UPDATE_GOLDEN=1 and `git diff`"
    );
}

#[test]
fn colliding_names_are_refused() {
    let store = fixture::store(fixture::status());
    let build = |sdl: &str| {
        let schema = Arc::new(Schema::parse(sdl).unwrap());
        SubgraphApi::new("Qm", schema, store.clone()).map(|_| ())
    };
    let err = build(
        "type Pool @entity(immutable: true) { id: ID! }\n\
         type Pools @entity(immutable: true) { id: ID! }",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "types `Pool` and `Pools` both map to the query field `pools`; rename one of them"
    );
    let err = build("type Block_height @entity(immutable: true) { id: ID! }").unwrap_err();
    assert!(
        err.to_string().contains("`Block_height` is used twice"),
        "{err}"
    );
    assert!(build("type Data @entity(immutable: true) { id: ID! }").is_ok());
}
