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
