//! Aggregation queries over the real SQLite store: the buckets the store computed from a
//! timeseries, by interval, newest first, filtered by timestamp and dimension.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_store::{BlockWrite, EntityModification, SqliteStore, WritableStore};
use sprig_value::{BigInt, BlockPtr, Entity, EntityKey, Id, Value};

use crate::{QueryRequest, SubgraphApi};

const SDL: &str = r#"
    type Trade @entity(timeseries: true) {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      amount: BigInt!
    }
    type Volume @aggregation(intervals: ["hour", "day"], source: "Trade") {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      trades: Int8! @aggregate(fn: "count")
      total: BigInt! @aggregate(fn: "sum", arg: "amount")
    }
"#;

const HOUR: u64 = 3600;

fn trade(id: i64, time: u64, pool: u8, amount: i64) -> EntityModification {
    let data: Entity = [
        ("id", Value::Int8(id)),
        ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
        ("pool", Value::Bytes(vec![pool])),
        ("amount", Value::BigInt(BigInt::from(amount))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    EntityModification::Insert {
        key: EntityKey {
            entity_type: "Trade".into(),
            id: Id::Int8(id),
        },
        data,
    }
}

fn query(api: &SubgraphApi, query: &str) -> serde_json::Value {
    let response = api.execute_blocking(QueryRequest::new(query));
    serde_json::to_value(&response).unwrap()
}

#[test]
fn aggregations_are_queried_by_interval() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    let deployment = store.deployment("agg", schema.clone()).unwrap();
    // Trades in hours 10 and 11; block 3 (hour 13) closes both hours, block 4 (day 1) day 0.
    let blocks = [
        (
            10 * HOUR + 1,
            vec![trade(1, 10 * HOUR + 1, 1, 5), trade(2, 10 * HOUR + 1, 2, 7)],
        ),
        (11 * HOUR + 1, vec![trade(3, 11 * HOUR + 1, 1, 10)]),
        (13 * HOUR, vec![]),
        (24 * HOUR, vec![]),
    ];
    for (number, (time, modifications)) in blocks.into_iter().enumerate() {
        let number = number as u64 + 1;
        let write = BlockWrite {
            modifications,
            ..BlockWrite::default()
        };
        let ptr = BlockPtr {
            number,
            hash: [number as u8; 32],
        };
        deployment.transact_block(ptr, time, write).unwrap();
    }
    let api = SubgraphApi::new("QmAgg", schema, Arc::new(deployment)).unwrap();
    let hour = |h: u64| (h * HOUR * 1_000_000).to_string();

    // Newest first by default.
    let hourly = query(
        &api,
        "{ volumes(interval: hour) { id timestamp pool trades total } }",
    );
    assert_eq!(
        hourly,
        serde_json::json!({ "data": { "volumes": [
            { "id": "3", "timestamp": hour(11), "pool": "0x01", "trades": "1", "total": "10" },
            { "id": "2", "timestamp": hour(10), "pool": "0x02", "trades": "1", "total": "7" },
            { "id": "1", "timestamp": hour(10), "pool": "0x01", "trades": "1", "total": "5" },
        ] } }),
    );
    let filtered = query(
        &api,
        &format!(
            r#"{{ volumes(interval: hour, where: {{ timestamp_lt: "{}", pool: "0x01" }}) {{ id total }} }}"#,
            hour(11)
        ),
    );
    assert_eq!(
        filtered,
        serde_json::json!({ "data": { "volumes": [{ "id": "1", "total": "5" }] } })
    );
    let daily = query(
        &api,
        "{ volumes(interval: day, orderBy: total) { timestamp pool trades total } }",
    );
    assert_eq!(
        daily,
        serde_json::json!({ "data": { "volumes": [
            { "timestamp": "0", "pool": "0x02", "trades": "1", "total": "7" },
            { "timestamp": "0", "pool": "0x01", "trades": "2", "total": "15" },
        ] } }),
    );
    // Time travel: before block 4, no day had ended.
    let before = query(
        &api,
        "{ volumes(interval: day, block: { number: 3 }) { id } }",
    );
    assert_eq!(before, serde_json::json!({ "data": { "volumes": [] } }));
    // Aggregates are not filterable, and dimensions only by equality (graph-node's filter).
    for filter in [
        "total_gt: \"1\"",
        "pool_not: \"0x01\"",
        "timestamp_not: \"0\"",
    ] {
        let refused = query(
            &api,
            &format!("{{ volumes(interval: hour, where: {{ {filter} }}) {{ id }} }}"),
        );
        assert!(refused["errors"].is_array(), "{filter}: {refused}");
    }
    // The interval is required, and there is no lookup by id.
    let missing = query(&api, "{ volumes { id } }");
    assert!(missing["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("interval"));
    let by_id = query(&api, r#"{ volume(id: "1") { id } }"#);
    assert!(by_id["errors"].is_array(), "{by_id}");
}

/// graph-node's runner test `aggregation_current_bucket`, block for block: `current: include`
/// adds the unfinished hour to the finished ones, at the root and in a field derived from the
/// aggregation.
#[test]
fn current_bucket_at_the_root_and_in_derived_fields() {
    const SDL: &str = r#"
        type Token @entity(immutable: true) {
          id: Bytes!
          name: String!
          stats: [Stats!]! @derivedFrom(field: "token")
        }
        type Data @entity(timeseries: true) {
          id: Int8!
          timestamp: Timestamp!
          token: Token!
          amount: BigDecimal!
        }
        type Stats @aggregation(intervals: ["hour"], source: "Data") {
          id: Int8!
          timestamp: Timestamp!
          token: Token!
          sum: BigDecimal! @aggregate(fn: "sum", arg: "amount")
        }
    "#;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sprig.db")).unwrap();
    let schema = Arc::new(Schema::parse(SDL).unwrap());
    let deployment = store.deployment("current", schema.clone()).unwrap();
    let insert =
        |entity_type: &str, id: Id, fields: Vec<(&str, Value)>| EntityModification::Insert {
            key: EntityKey {
                entity_type: entity_type.into(),
                id: id.clone(),
            },
            data: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .chain([("id".to_string(), id.to_value())])
                .collect(),
        };
    let token = |id: u8, name: &str| {
        insert(
            "Token",
            Id::Bytes(vec![id]),
            vec![("name", Value::String(name.into()))],
        )
    };
    let data = |id: i64, time: u64, token: u8, amount: &str| {
        insert(
            "Data",
            Id::Int8(id),
            vec![
                ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
                ("token", Value::Bytes(vec![token])),
                ("amount", Value::BigDecimal(amount.parse().unwrap())),
            ],
        )
    };
    let blocks = [
        (3601, vec![token(0xaa, "TokenA"), token(0xbb, "TokenB")]),
        (
            3660,
            vec![data(1, 3660, 0xaa, "10"), data(2, 3660, 0xbb, "20")],
        ),
        (
            3720,
            vec![data(3, 3720, 0xaa, "30"), data(4, 3720, 0xbb, "40")],
        ),
        (
            7201,
            vec![data(5, 7201, 0xaa, "5"), data(6, 7201, 0xbb, "15")],
        ),
        (
            7261,
            vec![data(7, 7261, 0xaa, "7"), data(8, 7261, 0xbb, "25")],
        ),
    ];
    for (number, (time, modifications)) in blocks.into_iter().enumerate() {
        let number = number as u64 + 1;
        let write = BlockWrite {
            modifications,
            ..BlockWrite::default()
        };
        let ptr = BlockPtr {
            number,
            hash: [number as u8; 32],
        };
        deployment.transact_block(ptr, time, write).unwrap();
    }
    let api = SubgraphApi::new("QmCurrent", schema, Arc::new(deployment)).unwrap();
    let root = |current: &str| {
        query(
            &api,
            &format!(
                r#"{{ stats_collection(interval: "hour", current: {current}, orderBy: timestamp, orderDirection: asc) {{ token {{ id }} sum }} }}"#
            ),
        )
    };
    let row = |token: &str, sum: &str| serde_json::json!({ "token": { "id": token }, "sum": sum });
    assert_eq!(
        root("include"),
        serde_json::json!({ "data": { "stats_collection": [
            row("0xaa", "40"), row("0xbb", "60"), row("0xaa", "12"), row("0xbb", "40"),
        ] } })
    );
    assert_eq!(
        root("exclude"),
        serde_json::json!({ "data": { "stats_collection": [row("0xaa", "40"), row("0xbb", "60")] } })
    );
    let nested = query(
        &api,
        r#"{ tokens(orderBy: id) { id stats(interval: "hour", current: include, orderBy: timestamp, orderDirection: asc) { sum } } }"#,
    );
    let sums = |a: &str, b: &str| serde_json::json!([{ "sum": a }, { "sum": b }]);
    assert_eq!(
        nested,
        serde_json::json!({ "data": { "tokens": [
            { "id": "0xaa", "stats": sums("40", "12") },
            { "id": "0xbb", "stats": sums("60", "40") },
        ] } })
    );
    // Paging runs over both: the newest row is token B's current bucket.
    let newest = query(
        &api,
        r#"{ stats_collection(interval: "hour", current: include, first: 1) { id token { id } sum } }"#,
    );
    assert_eq!(
        newest,
        serde_json::json!({ "data": { "stats_collection": [
            { "id": "8", "token": { "id": "0xbb" }, "sum": "40" },
        ] } })
    );
    // As of block 3, hour 1 was still current; without `current`, nothing had finished.
    let then = query(
        &api,
        r#"{ tokens(orderBy: id, block: { number: 3 }) { stats(interval: "hour", current: include) { sum } } }"#,
    );
    assert_eq!(
        then,
        serde_json::json!({ "data": { "tokens": [
            { "stats": [{ "sum": "40" }] }, { "stats": [{ "sum": "60" }] },
        ] } })
    );
    let finished = query(
        &api,
        r#"{ tokens(orderBy: id, block: { number: 3 }) { stats(interval: "hour") { sum } } }"#,
    );
    assert_eq!(
        finished,
        serde_json::json!({ "data": { "tokens": [{ "stats": [] }, { "stats": [] }] } })
    );
    // The interval is required on the derived field too.
    let missing = query(&api, "{ tokens { stats { sum } } }");
    assert!(missing["errors"].is_array(), "{missing}");
}
