//! References whose stored id names no entity, as the ENS subgraph stores them
//! (`NewResolver.resolver = "0x000…"` when a resolver is cleared): null for a nullable field, and
//! graph-node's non-null error for a required one, over the real SQLite store.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_store::{BlockWrite, EntityModification, SqliteStore, WritableStore};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

use crate::{QueryRequest, SubgraphApi};

const SDL: &str = r#"
    type Resolver @entity(immutable: false) { id: ID! }
    type NewResolver @entity(immutable: true) {
      id: ID!
      resolver: Resolver!
      previous: Resolver
    }
"#;

fn insert(entity_type: &str, id: &str, fields: &[(&str, &str)]) -> EntityModification {
    let mut data: Entity = fields
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    data.insert("id".into(), Value::String(id.into()));
    EntityModification::Insert {
        key: EntityKey {
            entity_type: entity_type.into(),
            id: Id::String(id.into()),
        },
        data,
    }
}

fn query(api: &SubgraphApi, query: &str) -> serde_json::Value {
    let response = api.execute_blocking(QueryRequest::new(query));
    serde_json::to_value(&response).unwrap()
}

#[test]
fn a_reference_to_no_entity_is_null_or_a_non_null_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    let deployment = store.deployment("refs", schema.clone()).unwrap();
    let zero = "0x0000000000000000000000000000000000000000";
    let write = BlockWrite {
        modifications: vec![
            insert("Resolver", "r1", &[]),
            insert(
                "NewResolver",
                "1-0",
                &[("resolver", "r1"), ("previous", zero)],
            ),
            insert(
                "NewResolver",
                "1-1",
                &[("resolver", zero), ("previous", "r1")],
            ),
        ],
        ..BlockWrite::default()
    };
    let ptr = BlockPtr {
        number: 1,
        hash: [1; 32],
    };
    deployment.transact_block(ptr, 10, write).unwrap();
    let api = SubgraphApi::new("QmRefs", schema, Arc::new(deployment)).unwrap();

    // A nullable reference to no entity is null.
    let r = query(
        &api,
        r#"{ newResolver(id: "1-0") { resolver { id } previous { id } } }"#,
    );
    assert_eq!(
        r,
        serde_json::json!({ "data": { "newResolver": { "resolver": { "id": "r1" }, "previous": null } } })
    );
    // A required one fails the query with graph-node's message (and the error's location); the
    // ids can still be read through filters.
    let r = query(&api, r#"{ newResolvers { id resolver { id } } }"#);
    assert_eq!(
        r["errors"][0]["message"], "Null value resolved for non-null field `resolver`",
        "{r}"
    );
    // As in graph-node, the response then has no data at all.
    assert!(r.get("data").is_none(), "{r}");
    let r = query(
        &api,
        &format!(
            r#"{{ newResolvers(where: {{ resolver: "{zero}" }}) {{ id previous {{ id }} }} }}"#
        ),
    );
    assert_eq!(
        r,
        serde_json::json!({ "data": { "newResolvers": [{ "id": "1-1", "previous": { "id": "r1" } }] } })
    );
}
