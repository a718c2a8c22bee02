//! `store.*` from graph-ts: round trips of every value kind, validation, rollback.

mod common;

use common::*;
use sprig_value::{BigInt, Entity, Value};

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
