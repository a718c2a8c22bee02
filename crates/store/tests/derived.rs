//! `EntityReader::get_derived` on both backends: the current entities whose reference field
//! holds an id, for every id type, across overwrites, removals and deferred blocks.

use std::collections::BTreeSet;
use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_store::testing::Postgres;
use sprig_store::{BlockWrite, Deployment, EntityModification, EntityReader, Store, WritableStore};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

const SDL: &str = r#"
    type Parent @entity(immutable: false) {
      id: ID!
      children: [Child!]! @derivedFrom(field: "parent")
      tagged: [Tagged!]! @derivedFrom(field: "parents")
    }
    type Child @entity(immutable: false) { id: ID! parent: Parent name: String }
    type Tagged @entity(immutable: false) { id: ID! parents: [Parent!] }
    type Nest @entity(immutable: false) { id: Bytes! eggs: [Egg!]! @derivedFrom(field: "nest") }
    type Egg @entity(immutable: true) { id: Bytes! nest: Nest! }
    type Owner @entity(immutable: false) { id: Int8! items: [Item!]! @derivedFrom(field: "owner") }
    type Item @entity(immutable: false) { id: ID! owner: Owner }
"#;

/// Keeps a test's database alive.
enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Server(#[allow(dead_code)] Arc<Postgres>),
}

fn deployment(postgres: bool) -> (Guard, Deployment) {
    let (guard, location) = if postgres {
        let server = Postgres::shared().unwrap();
        let url = server.create_database().unwrap();
        (Guard::Server(server), url)
    } else {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite").display().to_string();
        (Guard::Dir(dir), path)
    };
    let store = Store::open(&location).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    (guard, store.deployment("derived", schema).unwrap())
}

fn block(number: u64) -> BlockPtr {
    BlockPtr {
        number,
        hash: [number as u8; 32],
    }
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

fn insert(entity_type: &str, id: Id, fields: &[(&str, Value)]) -> EntityModification {
    let mut data: Entity = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    data.insert("id".to_string(), id.to_value());
    EntityModification::Insert {
        key: EntityKey {
            entity_type: entity_type.to_string(),
            id,
        },
        data,
    }
}

fn child(id: &str, parent: &str, name: &str) -> EntityModification {
    insert(
        "Child",
        Id::String(id.into()),
        &[("parent", text(parent)), ("name", text(name))],
    )
}

fn write(modifications: Vec<EntityModification>) -> BlockWrite {
    BlockWrite {
        modifications,
        ..BlockWrite::default()
    }
}

/// The ids of what `get_derived` returns, as a set: its order is unspecified.
fn derived(store: &Deployment, entity_type: &str, field: &str, id: Id) -> BTreeSet<String> {
    store
        .get_derived(entity_type, field, &id)
        .unwrap()
        .iter()
        .map(|e| e["id"].to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn finds_current_entities_by_reference(postgres: bool) {
    let (_dir, store) = deployment(postgres);
    let p1 = || Id::String("p1".into());
    store
        .transact_block(
            block(1),
            1,
            write(vec![
                child("c1", "p1", "one"),
                child("c2", "p1", "two"),
                child("c3", "p2", "three"),
                insert("Child", Id::String("orphan".into()), &[]),
            ]),
        )
        .unwrap();
    assert_eq!(derived(&store, "Child", "parent", p1()), set(&["c1", "c2"]));
    let found = store.get_derived("Child", "parent", &p1()).unwrap();
    let c1 = found.iter().find(|e| e["id"] == text("c1")).unwrap();
    assert_eq!(c1["name"], text("one"));
    assert_eq!(c1["parent"], text("p1"));

    // Only current versions count: c2 moves to p2, c1 is removed, c3 moves here.
    store
        .transact_block(
            block(2),
            2,
            write(vec![
                EntityModification::Overwrite {
                    key: EntityKey {
                        entity_type: "Child".into(),
                        id: Id::String("c2".into()),
                    },
                    data: [("id", text("c2")), ("parent", text("p2"))]
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                },
                EntityModification::Remove {
                    key: EntityKey {
                        entity_type: "Child".into(),
                        id: Id::String("c1".into()),
                    },
                },
            ]),
        )
        .unwrap();
    assert_eq!(derived(&store, "Child", "parent", p1()), set(&[]));
    assert_eq!(
        derived(&store, "Child", "parent", Id::String("p2".into())),
        set(&["c2", "c3"])
    );

    // Deferred blocks are seen before they commit, as `get` sees them.
    store
        .transact_block_deferred(block(3), 3, write(vec![child("c4", "p1", "four")]))
        .unwrap();
    assert_eq!(derived(&store, "Child", "parent", p1()), set(&["c4"]));
    store.flush().unwrap();
    assert_eq!(derived(&store, "Child", "parent", p1()), set(&["c4"]));
}

fn matches_bytes_and_int8_ids(postgres: bool) {
    let (_dir, store) = deployment(postgres);
    let nest = |b: u8| Id::Bytes(vec![0xaa, b]);
    store
        .transact_block(
            block(1),
            1,
            write(vec![
                insert("Egg", Id::Bytes(vec![1]), &[("nest", nest(1).to_value())]),
                insert("Egg", Id::Bytes(vec![2]), &[("nest", nest(1).to_value())]),
                insert("Egg", Id::Bytes(vec![3]), &[("nest", nest(2).to_value())]),
                insert(
                    "Item",
                    Id::String("i1".into()),
                    &[("owner", Value::Int8(-7))],
                ),
                insert(
                    "Item",
                    Id::String("i2".into()),
                    &[("owner", Value::Int8(7))],
                ),
            ]),
        )
        .unwrap();
    assert_eq!(
        derived(&store, "Egg", "nest", nest(1)),
        set(&["0x01", "0x02"])
    );
    assert_eq!(
        derived(&store, "Egg", "nest", Id::Bytes(vec![0xaa])),
        set(&[])
    );
    assert_eq!(derived(&store, "Item", "owner", Id::Int8(-7)), set(&["i1"]));
    // A field derived from `id` itself.
    assert_eq!(
        derived(&store, "Egg", "id", Id::Bytes(vec![3])),
        set(&["0x03"])
    );
}

fn refuses_list_unknown_and_mistyped_fields(postgres: bool) {
    let (_dir, store) = deployment(postgres);
    let p1 = Id::String("p1".into());
    for (entity_type, field, id) in [
        ("Tagged", "parents", p1.clone()),
        ("Child", "nope", p1.clone()),
        ("Nope", "parent", p1.clone()),
        ("Child", "parent", Id::Int8(1)),
    ] {
        let err = store.get_derived(entity_type, field, &id).unwrap_err();
        assert!(
            format!("{err:#}").contains(&format!(
                "cannot load the `{entity_type}` entities whose `{field}` is"
            )),
            "{err:#}"
        );
    }
}

mod sqlite {
    #[test]
    fn finds_current_entities_by_reference() {
        super::finds_current_entities_by_reference(false)
    }
    #[test]
    fn matches_bytes_and_int8_ids() {
        super::matches_bytes_and_int8_ids(false)
    }
    #[test]
    fn refuses_list_unknown_and_mistyped_fields() {
        super::refuses_list_unknown_and_mistyped_fields(false)
    }
}

mod postgres {
    #[test]
    fn finds_current_entities_by_reference() {
        super::finds_current_entities_by_reference(true)
    }
    #[test]
    fn matches_bytes_and_int8_ids() {
        super::matches_bytes_and_int8_ids(true)
    }
    #[test]
    fn refuses_list_unknown_and_mistyped_fields() {
        super::refuses_list_unknown_and_mistyped_fields(true)
    }
}
