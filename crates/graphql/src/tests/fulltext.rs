//! `@fulltext` query fields over the real SQLite store: the field graph-node's API schema has
//! (`tokenSearch(text, first, skip, block, where, subgraphError): [Token!]!`), results ordered
//! by rank as graph-node orders them (ascending, then id), with `where`, pagination, nested
//! fields and time travel.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_store::{BlockWrite, EntityModification, SqliteStore, WritableStore};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

use crate::{QueryRequest, SubgraphApi};

const SDL: &str = r#"
    type _Schema_ @fulltext(name: "tokenSearch", language: en, algorithm: rank,
      include: [{ entity: "Token", fields: [{ name: "name" }, { name: "symbol" }] }])
    type Token @entity(immutable: false) {
      id: ID!
      name: String!
      symbol: String
      decimals: Int!
      owner: Account
    }
    type Account @entity(immutable: true) { id: ID! tokens: [Token!]! @derivedFrom(field: "owner") }
"#;

fn insert(
    entity_type: &str,
    id: &str,
    fields: &[(&str, Value)],
    overwrite: bool,
) -> EntityModification {
    let mut data: Entity = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    data.insert("id".into(), Value::String(id.into()));
    let key = EntityKey {
        entity_type: entity_type.into(),
        id: Id::String(id.into()),
    };
    if overwrite {
        EntityModification::Overwrite { key, data }
    } else {
        EntityModification::Insert { key, data }
    }
}

fn token(id: &str, name: &str, decimals: i32, overwrite: bool) -> EntityModification {
    insert(
        "Token",
        id,
        &[
            ("name", Value::String(name.into())),
            ("decimals", Value::Int(decimals)),
            ("owner", Value::String("alice".into())),
        ],
        overwrite,
    )
}

fn query(api: &SubgraphApi, query: &str) -> serde_json::Value {
    let response = api.execute_blocking(QueryRequest::new(query));
    serde_json::to_value(&response).unwrap()
}

fn ids(response: &serde_json::Value, field: &str) -> Vec<String> {
    response["data"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fulltext_fields_search_rank_filter_and_travel() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    let deployment = store.deployment("ft", schema.clone()).unwrap();
    let blocks = vec![
        vec![
            insert("Account", "alice", &[], false),
            token("t1", "apple banana cherry", 18, false),
            token("t2", "apple apple cherry", 18, false),
            token("t3", "apple kiwi mango", 6, false),
            token("t4", "Running Shoes", 0, false),
        ],
        vec![token("t1", "durian", 18, true)],
    ];
    for (number, modifications) in blocks.into_iter().enumerate() {
        let number = number as u64 + 1;
        let ptr = BlockPtr {
            number,
            hash: [number as u8; 32],
        };
        let write = BlockWrite {
            modifications,
            ..BlockWrite::default()
        };
        deployment.transact_block(ptr, number * 10, write).unwrap();
    }
    let api = SubgraphApi::new("QmFt", schema, Arc::new(deployment)).unwrap();

    let r = query(
        &api,
        r#"{ tokenSearch(text: "apple") { id name owner { id } } }"#,
    );
    assert_eq!(
        r,
        serde_json::json!({ "data": { "tokenSearch": [
            { "id": "t3", "name": "apple kiwi mango", "owner": { "id": "alice" } },
            { "id": "t2", "name": "apple apple cherry", "owner": { "id": "alice" } },
        ] } })
    );
    // Time travel: block 1 still has t1's first name.
    let r = query(
        &api,
        r#"{ tokenSearch(text: "apple", block: { number: 1 }) { id } }"#,
    );
    assert_eq!(ids(&r, "tokenSearch"), ["t1", "t3", "t2"]);
    // Stemming, prefixes, AND/OR.
    let r = query(&api, r#"{ tokenSearch(text: "run") { id } }"#);
    assert_eq!(ids(&r, "tokenSearch"), ["t4"]);
    let r = query(&api, r#"{ tokenSearch(text: "dur:*") { id } }"#);
    assert_eq!(ids(&r, "tokenSearch"), ["t1"]);
    let r = query(&api, r#"{ tokenSearch(text: "mango | shoes") { id } }"#);
    assert_eq!(ids(&r, "tokenSearch"), ["t3", "t4"]);
    let r = query(&api, r#"{ tokenSearch(text: "apple & cherry") { id } }"#);
    assert_eq!(ids(&r, "tokenSearch"), ["t2"]);
    // `where`, `first` and `skip`.
    let r = query(
        &api,
        r#"{ tokenSearch(text: "apple", where: { decimals: 18 }) { id } }"#,
    );
    assert_eq!(ids(&r, "tokenSearch"), ["t2"]);
    let r = query(
        &api,
        r#"{ tokenSearch(text: "apple", first: 1, skip: 1) { id } }"#,
    );
    assert_eq!(ids(&r, "tokenSearch"), ["t2"]);
    // Errors: graph-node's syntax message; `text` is required.
    let r = query(&api, r#"{ tokenSearch(text: "two words") { id } }"#);
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Invalid fulltext search query syntax")
            && message
                .contains("Hint: Search terms with spaces need to be enclosed in single quotes"),
        "{r}"
    );
    let r = query(&api, r#"{ tokenSearch { id } }"#);
    assert!(r["errors"].is_array(), "{r}");
}

#[test]
fn the_field_is_in_the_api_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    let deployment = store.deployment("ft", schema.clone()).unwrap();
    let api = SubgraphApi::new("QmFt", schema, Arc::new(deployment)).unwrap();
    let sdl = api.sdl();
    let start = sdl.find("tokenSearch(").unwrap_or_else(|| panic!("{sdl}"));
    let end = start + sdl[start..].find("]!").unwrap() + 2;
    let line = sdl[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        line.contains("text: String!")
            && line.contains("first: Int = 100")
            && line.contains("skip: Int = 0")
            && line.contains("block: Block_height")
            && line.contains("where: Token_filter")
            && line.contains("subgraphError: _SubgraphErrorPolicy_! = deny")
            && line.ends_with("): [Token!]!"),
        "{line}"
    );
}

#[test]
fn a_search_named_like_a_query_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(
        Schema::parse(&SDL.replace("name: \"tokenSearch\"", "name: \"accounts\"")).unwrap(),
    );
    let deployment = store.deployment("ft", schema.clone()).unwrap();
    let Err(err) = SubgraphApi::new("QmFt", schema, Arc::new(deployment)) else {
        panic!("a search named like a query field was accepted");
    };
    let err = format!("{err:#}");
    assert!(
        err.contains("the @fulltext field `accounts` clashes with the query field `accounts` of type `Account`"),
        "{err}"
    );
}

/// graph-node also refuses a name that is the plural of an entity field (`names` from
/// `Token.name`), which needs the query API's plurals.
#[test]
fn a_search_named_like_a_field_plural_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema =
        Arc::new(Schema::parse(&SDL.replace("name: \"tokenSearch\"", "name: \"names\"")).unwrap());
    let deployment = store.deployment("ft", schema.clone()).unwrap();
    let Err(err) = SubgraphApi::new("QmFt", schema, Arc::new(deployment)) else {
        panic!("a search named like a field's plural was accepted");
    };
    let err = format!("{err:#}");
    assert!(
        err.contains("Fulltext directive name overlaps with an existing entity field")
            && err.contains("`names` (from `Token.name`)"),
        "{err}"
    );
}
