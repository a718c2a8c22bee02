//! `store.*` from graph-ts: round trips of every value kind, validation, rollback.

mod common;

use common::*;
use sprig_value::{BigInt, Entity, EntityKey, Id, Value};

fn source() -> Entity {
    [
        ("id", Value::String("source".into())),
        ("str", Value::String("漢字Go🇧🇷".into())),
        ("int", Value::Int(i32::MIN)),
        ("int8", Value::Int8(i64::MIN)),
        (
            "bigInt",
            Value::BigInt("-340282366920938463463374607431768211456".parse().unwrap()),
        ),
        (
            "bigDecimal",
            Value::BigDecimal("3.14159001".parse().unwrap()),
        ),
        ("bool", Value::Bool(true)),
        ("bytes", Value::Bytes(vec![0, 2, 5])),
        ("timestamp", Value::Timestamp(1_700_000_000_123_456)),
        (
            "strList",
            Value::List(vec![Value::String("a".into()), Value::String("b".into())]),
        ),
        ("intList", Value::List(vec![Value::Int(1), Value::Int(-1)])),
        (
            "bigIntList",
            Value::List(vec![
                Value::BigInt(BigInt::from(1)),
                Value::BigInt(BigInt::from(-1)),
            ]),
        ),
        ("kind", Value::String("Small".into())),
        ("other", Value::String("made".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn store_with_source() -> MemoryStore {
    let mut store = MemoryStore::default();
    store.0.insert(key("AllKinds", "source"), source());
    store
}

#[tokio::test]
async fn every_value_kind_round_trips() {
    let mut result = Run::new("storeRoundTrip")
        .store(store_with_source())
        .ok()
        .await;

    // Host -> wasm (store.get) -> host (store.set) keeps every value.
    let mut copy = entity(&mut result, "AllKinds", "copy");
    copy.insert("id".into(), Value::String("source".into()));
    assert_eq!(copy, source());

    // Values built in wasm arrive intact.
    let made = entity(&mut result, "AllKinds", "made");
    let mut expected = source();
    expected.insert("id".into(), Value::String("made".into()));
    expected.insert("kind".into(), Value::String("Large".into()));
    expected.insert("other".into(), Value::String("source".into()));
    assert_eq!(made, expected);

    let o = entity(&mut result, "Output", "store");
    // loadInBlock before/after the write, and `gone` removed.
    assert_eq!(
        list(&o, "bools"),
        [Value::Bool(true), Value::Bool(true), Value::Bool(true)]
    );
    assert_eq!(list(&o, "ints"), [Value::Int(8)]);
    assert!(result
        .state
        .cache
        .get(&key("AllKinds", "gone"))
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn undefined_fields_are_rejected_from_api_0_0_8() {
    let (error, deterministic, _) = Run::new("undefinedFields").fails().await;
    assert!(deterministic);
    assert!(
        error.contains(
            "Attempted to set undefined fields [alsoBogus, bogus] for the entity type `Output`. \
             Make sure those fields are defined in the schema."
        ),
        "{error}"
    );
}

#[tokio::test]
async fn values_of_the_wrong_type_are_rejected() {
    let (error, deterministic, _) = Run::new("wrongFieldType").fails().await;
    assert!(deterministic);
    assert!(error.contains("ints"), "{error}");
}

#[tokio::test]
async fn id_must_match_the_key() {
    let (error, deterministic, _) = Run::new("idMismatch").fails().await;
    assert!(deterministic);
    assert!(
        error.contains(
            "Value of Output attribute 'id' conflicts with ID passed to `store.set()`: one != two"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn unknown_entity_types_are_rejected() {
    let (error, deterministic, _) = Run::new("unknownEntityType").fails().await;
    assert!(deterministic);
    assert!(error.contains("entity of type `Nope`"), "{error}");
}

#[tokio::test]
async fn a_failed_handler_leaves_no_writes_or_data_sources() {
    let (error, deterministic, mut result) = Run::new("writeThenAbort").fails().await;
    assert!(deterministic, "{error}");
    assert!(result
        .state
        .cache
        .get(&key("Output", "discarded"))
        .unwrap()
        .is_none());
    assert!(result.state.created_data_sources.is_empty());
    assert_eq!(result.state.cache.into_modifications().unwrap(), vec![]);
}

#[tokio::test]
async fn store_read_failures_are_non_deterministic() {
    let (error, deterministic, _) = Run::new("storeRoundTrip").store(BrokenStore).fails().await;
    assert!(!deterministic);
    assert!(error.contains("connection refused"), "{error}");
}

/// Children `c1`, `c2`, `c4` of `p1` and `c3` of `p2`; eggs `0x01`, `0x02` of nest `0xaa`.
fn family() -> MemoryStore {
    let child = |id: &str, parent: &str, name: &str| {
        (
            key("Child", id),
            [
                ("parent", Value::String(parent.into())),
                ("name", Value::String(name.into())),
            ],
        )
    };
    let egg = |id: u8| EntityKey {
        entity_type: "Egg".into(),
        id: Id::Bytes(vec![id]),
    };
    let mut store = MemoryStore::default();
    for (key, fields) in [
        child("c1", "p1", "first"),
        child("c2", "p1", "second"),
        child("c3", "p2", "third"),
        child("c4", "p1", "fourth"),
    ] {
        store = store.with(key, &fields);
    }
    for id in [1, 2] {
        store = store.with(egg(id), &[("nest", Value::Bytes(vec![0xaa]))]);
    }
    store
}

#[tokio::test]
async fn load_related_combines_the_store_and_the_block() {
    let mut result = Run::new("loadRelatedOps").store(family()).ok().await;
    let o = entity(&mut result, "Output", "loadRelated");
    assert_eq!(
        strings(&o, "strings"),
        [
            // From the store, sorted by id.
            "c1,c2,c4",
            // c2 moved to p2, c4 removed, c5 created, c1 renamed.
            "c1,c5",
            "renamed,new",
            "c2,c3",
            // `firstborn: Child @derivedFrom` loads the same list.
            "c1,c5",
            "",
            // Bytes ids: two stored eggs and one laid in this block.
            "0x01,0x02,0x03",
            "0xaa",
        ]
    );
}

#[tokio::test]
async fn load_related_refuses_fields_it_cannot_load() {
    for (handler, message) in [
        (
            "loadRelatedNotDerived",
            "Entity Parent[p1]: field is not derived `name`",
        ),
        (
            "loadRelatedUnknownField",
            "Entity Parent[p1]: unknown field `nope`",
        ),
        (
            "loadRelatedFromList",
            "Entity Parent[p1]: `labels` is derived from the list field `Label.parents`",
        ),
        (
            "loadRelatedFromInterface",
            "Entity Parent[p1]: `pets` lists the interface `Pet`",
        ),
        (
            "loadRelatedBadId",
            "Invalid id `not hex` for entity type `Nest`: Bytes ids must be hex",
        ),
    ] {
        let (error, deterministic, _) = Run::new(handler).store(family()).fails().await;
        assert!(deterministic, "{handler}: {error}");
        assert!(error.contains(message), "{handler}: {error}");
    }
}

#[tokio::test]
async fn load_related_store_failures_are_non_deterministic() {
    let (error, deterministic, _) = Run::new("loadRelatedOps").store(BrokenStore).fails().await;
    assert!(!deterministic);
    assert!(
        error.contains("store.loadRelated of Parent[p1].children failed"),
        "{error}"
    );
    assert!(error.contains("connection refused"), "{error}");
}
