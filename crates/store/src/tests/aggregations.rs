//! Timeseries and aggregations in the store: the buckets a block crossing an hour or day
//! boundary computes from the timeseries rows, and their revert, on both backends.

use std::sync::Arc;

use sprig_manifest::{AggregationInterval, Schema};
use sprig_value::{BigInt, Entity, EntityKey, Id, Value};

use super::{block, dec, entity, ptr, Backend, TestDb};
use crate::{EntityModification, EntityQuery, Filter, OrderDirection, QueryStore, WritableStore};

const SDL: &str = r#"
    type Trade @entity(timeseries: true) {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      amount: BigInt!
      count: Int!
    }
    type Volume @aggregation(intervals: ["hour", "day"], source: "Trade") {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      trades: Int8! @aggregate(fn: "count")
      total: BigDecimal! @aggregate(fn: "sum", arg: "amount")
      high: BigInt! @aggregate(fn: "max", arg: "amount")
      low: BigInt! @aggregate(fn: "min", arg: "amount")
      opening: Int! @aggregate(fn: "first", arg: "count")
      closing: Int! @aggregate(fn: "last", arg: "count")
      allTime: BigInt! @aggregate(fn: "sum", arg: "amount", cumulative: true)
      allTrades: Int8! @aggregate(fn: "count", cumulative: true)
    }
"#;

const HOUR: u64 = 3600;

/// A trade written by a mapping at block time `time` (seconds); the runtime sets the timestamp.
fn trade(id: i64, time: u64, pool: u8, amount: i64) -> EntityModification {
    EntityModification::Insert {
        key: EntityKey {
            entity_type: "Trade".into(),
            id: Id::Int8(id),
        },
        data: entity(&[
            ("id", Value::Int8(id)),
            ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
            ("pool", Value::Bytes(vec![pool])),
            ("amount", Value::BigInt(BigInt::from(amount))),
            ("count", Value::Int(id as i32 * 10)),
        ]),
    }
}

/// The buckets of `Volume` at an interval, oldest first, as of `block` (`None` = latest).
fn buckets(d: &impl QueryStore, interval: AggregationInterval, block: Option<u64>) -> Vec<Entity> {
    d.query(&EntityQuery {
        entity_type: format!("Volume_{}", interval.name()),
        filters: vec![],
        order_by: Some("timestamp".into()),
        order_direction: OrderDirection::Ascending,
        first: 1000,
        skip: 0,
        block,
    })
    .unwrap()
}

/// One bucket row: (id, bucket start in hours, pool, trades, total, high, low, opening, closing,
/// allTime, allTrades).
#[allow(clippy::too_many_arguments)]
fn bucket(
    id: i64,
    hours: i64,
    pool: u8,
    trades: i64,
    total: &str,
    high: i64,
    low: i64,
    opening: i32,
    closing: i32,
    all_time: i64,
    all_trades: i64,
) -> Entity {
    entity(&[
        ("id", Value::Int8(id)),
        ("timestamp", Value::Timestamp(hours * 3600 * 1_000_000)),
        ("pool", Value::Bytes(vec![pool])),
        ("trades", Value::Int8(trades)),
        ("total", dec(total)),
        ("high", Value::BigInt(BigInt::from(high))),
        ("low", Value::BigInt(BigInt::from(low))),
        ("opening", Value::Int(opening)),
        ("closing", Value::Int(closing)),
        ("allTime", Value::BigInt(BigInt::from(all_time))),
        ("allTrades", Value::Int8(all_trades)),
    ])
}

fn buckets_are_computed_when_a_block_crosses_the_boundary(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("agg", Arc::new(Schema::parse(SDL).unwrap()))
        .unwrap();
    use AggregationInterval::{Day, Hour};

    // Hour 10: pool 1 trades 5 then 10, pool 2 trades 7.
    let t1 = 10 * HOUR + 100;
    d.transact_block(
        ptr(1),
        t1,
        block(vec![trade(1, t1, 1, 5), trade(2, t1, 2, 7)]),
    )
    .unwrap();
    let t2 = 10 * HOUR + 200;
    d.transact_block(ptr(2), t2, block(vec![trade(3, t2, 1, 10)]))
        .unwrap();
    assert!(buckets(&d, Hour, None).is_empty(), "hour 10 is not over");

    // Block 3 is in hour 11: hour 10 is rolled up, without block 3's own trade.
    let t3 = 11 * HOUR + 5;
    d.transact_block(ptr(3), t3, block(vec![trade(4, t3, 1, 1)]))
        .unwrap();
    // Ordered by timestamp, then id.
    let hour_10 = vec![
        bucket(2, 10, 2, 1, "7", 7, 7, 20, 20, 7, 1),
        bucket(3, 10, 1, 2, "15", 10, 5, 10, 30, 15, 2),
    ];
    assert_eq!(buckets(&d, Hour, None), hour_10);
    assert!(buckets(&d, Day, None).is_empty());

    // Block 4 is in hour 13: hour 11 (cumulative values carried from hour 10) and the empty
    // hour 12.
    let after_3 = buckets(&d, Hour, None);
    d.transact_block(ptr(4), 13 * HOUR, block(vec![])).unwrap();
    let mut through_11 = hour_10.clone();
    through_11.push(bucket(4, 11, 1, 1, "1", 1, 1, 40, 40, 16, 3));
    assert_eq!(buckets(&d, Hour, None), through_11);
    // Time travel: the rows belong to the block that computed them.
    assert_eq!(buckets(&d, Hour, Some(3)), after_3);

    // Block 5 is on day 1: day 0 holds every trade.
    d.transact_block(ptr(5), 24 * HOUR + 10, block(vec![]))
        .unwrap();
    assert_eq!(
        buckets(&d, Day, None),
        vec![
            bucket(2, 0, 2, 1, "7", 7, 7, 20, 20, 7, 1),
            bucket(4, 0, 1, 3, "16", 10, 1, 10, 40, 16, 3),
        ]
    );
    assert_eq!(buckets(&d, Hour, None), through_11);

    // Reverting to block 3 removes what blocks 4 and 5 computed; indexing them again computes
    // the same buckets.
    d.revert_to(ptr(3), t3).unwrap();
    assert_eq!(buckets(&d, Hour, None), hour_10);
    assert!(buckets(&d, Day, None).is_empty());
    d.transact_block(ptr(4), 13 * HOUR, block(vec![])).unwrap();
    assert_eq!(buckets(&d, Hour, None), through_11);

    // A trade in a new bucket after a revert to the previous bucket's block starts that bucket
    // again: nothing is counted twice.
    d.revert_to(ptr(2), t2).unwrap();
    assert!(buckets(&d, Hour, None).is_empty());
    d.transact_block(ptr(3), t3, block(vec![trade(4, t3, 1, 1)]))
        .unwrap();
    assert_eq!(buckets(&d, Hour, None), hour_10);
}

/// A `Tally` row: id, tag, total, counted, weight.
type TallyRow = (i64, Option<String>, i64, i64, Option<i32>);

/// A cumulative aggregate starts again in every bucket of a group with a null dimension, as in
/// graph-node (whose SQL finds the previous bucket by equality, never true for null); nulls still
/// form one group per bucket. `count` counts rows whose argument is null, `sum` skips them.
fn null_dimensions_have_no_previous_bucket(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let sdl = r#"
        type Point @entity(timeseries: true) {
          id: Int8! timestamp: Timestamp! tag: String weight: Int
        }
        type Tally @aggregation(intervals: ["hour"], source: "Point") {
          id: Int8! timestamp: Timestamp! tag: String
          total: Int8! @aggregate(fn: "count", cumulative: true)
          counted: Int8! @aggregate(fn: "count", arg: "weight")
          weight: Int @aggregate(fn: "sum", arg: "weight")
        }
    "#;
    let d = store
        .deployment("nulls", Arc::new(Schema::parse(sdl).unwrap()))
        .unwrap();
    let point = |id: i64, time: u64, tag: Option<&str>| {
        let mut data = entity(&[
            ("id", Value::Int8(id)),
            ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
        ]);
        if let Some(tag) = tag {
            data.insert("tag".into(), Value::String(tag.into()));
        }
        // Only the first point carries a weight.
        if id == 1 {
            data.insert("weight".into(), Value::Int(7));
        }
        EntityModification::Insert {
            key: EntityKey {
                entity_type: "Point".into(),
                id: Id::Int8(id),
            },
            data,
        }
    };
    let blocks = [
        (
            10,
            vec![
                point(1, 10, None),
                point(2, 10, Some("a")),
                point(3, 10, None),
            ],
        ),
        (
            HOUR + 10,
            vec![point(4, HOUR + 10, None), point(5, HOUR + 10, Some("a"))],
        ),
        (3 * HOUR, vec![]),
    ];
    for (n, (time, modifications)) in blocks.into_iter().enumerate() {
        d.transact_block(ptr(n as u64 + 1), time, block(modifications))
            .unwrap();
    }
    let rows: Vec<TallyRow> = d
        .query(&EntityQuery {
            entity_type: "Tally_hour".into(),
            filters: vec![],
            order_by: None,
            order_direction: OrderDirection::Ascending,
            first: 100,
            skip: 0,
            block: None,
        })
        .unwrap()
        .into_iter()
        .map(|e| {
            let Value::Int8(id) = e["id"] else { panic!() };
            let Value::Int8(total) = e["total"] else {
                panic!()
            };
            let Value::Int8(counted) = e["counted"] else {
                panic!()
            };
            let tag = e.get("tag").map(|t| t.to_string());
            let weight = match e.get("weight") {
                Some(Value::Int(w)) => Some(*w),
                _ => None,
            };
            (id, tag, total, counted, weight)
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, Some("a".into()), 1, 1, None),
            (3, None, 2, 2, Some(7)),
            (4, None, 1, 1, None),
            (5, Some("a".into()), 2, 1, None),
        ]
    );
}

/// The unfinished bucket (`current: include`): the trades after the last finished hour, per
/// pool, with cumulative aggregates carried from the pool's last finished bucket; as of an
/// earlier block, the bucket that was current then; `where` filters select trades.
fn current_bucket_is_computed_from_unrolled_rows(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("current", Arc::new(Schema::parse(SDL).unwrap()))
        .unwrap();
    let current = |block: u64, filters: Vec<Filter>| {
        let mut rows = d.current_buckets("Volume_hour", &filters, block).unwrap();
        rows.sort_by_key(|e| e["pool"].to_string());
        rows
    };
    let t1 = 10 * HOUR + 100;
    d.transact_block(
        ptr(1),
        t1,
        block(vec![trade(1, t1, 1, 5), trade(2, t1, 2, 7)]),
    )
    .unwrap();
    let t2 = 10 * HOUR + 200;
    d.transact_block(ptr(2), t2, block(vec![trade(3, t2, 1, 10)]))
        .unwrap();
    // Nothing is finished yet: every trade is in the current bucket.
    let hour_10 = vec![
        bucket(3, 10, 1, 2, "15", 10, 5, 10, 30, 15, 2),
        bucket(2, 10, 2, 1, "7", 7, 7, 20, 20, 7, 1),
    ];
    assert_eq!(current(2, vec![]), hour_10);
    // Block 3 starts hour 11 exactly on the hour: hour 10 is finished, the current bucket holds
    // block 3's trades, and pool 1's cumulative values carry on from hour 10.
    let t3 = 11 * HOUR;
    d.transact_block(
        ptr(3),
        t3,
        block(vec![trade(4, t3, 1, 1), trade(5, t3, 1, 2)]),
    )
    .unwrap();
    assert_eq!(
        current(3, vec![]),
        vec![bucket(5, 11, 1, 2, "3", 2, 1, 40, 50, 18, 4)]
    );
    // As of block 2, hour 10 was the current bucket.
    assert_eq!(current(2, vec![]), hour_10);
    assert_eq!(current(1, vec![]).len(), 2);
    // Filters select source rows: only trade 5 (id > 4) is left, still cumulative.
    assert_eq!(
        current(3, vec![Filter::GreaterThan("id".into(), Value::Int8(4))]),
        vec![bucket(5, 11, 1, 1, "2", 2, 2, 50, 50, 17, 3)]
    );
    assert_eq!(
        current(3, vec![Filter::Equal("pool".into(), Value::Bytes(vec![2]))]),
        vec![]
    );
    // The stored buckets are unaffected.
    assert_eq!(buckets(&d, AggregationInterval::Hour, None).len(), 2);
}

const EXPR_SDL: &str = r#"
    type Swap @entity(timeseries: true) {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      amount0: BigDecimal!
      amount1: BigDecimal!
      price: BigDecimal!
      qty: Int!
      big: Int8!
    }
    type Flow @aggregation(intervals: ["hour"], source: "Swap") {
      id: Int8!
      timestamp: Timestamp!
      pool: Bytes!
      value: BigDecimal! @aggregate(fn: "sum", arg: "price * amount0")
      best: BigDecimal! @aggregate(fn: "max", arg: "greatest(amount0, amount1, 0)")
      cond: BigDecimal! @aggregate(fn: "sum", arg: "case when amount0 > amount1 then amount0 else 0 end")
      third: BigDecimal! @aggregate(fn: "sum", arg: "amount0 / 3")
      rounded: Int8! @aggregate(fn: "sum", arg: "qty / 4.0")
      allValue: BigDecimal! @aggregate(fn: "sum", arg: "price * amount0", cumulative: true)
      allHalves: Int! @aggregate(fn: "sum", arg: "qty * 0.5", cumulative: true)
      firstNeg: Int! @aggregate(fn: "first", arg: "-qty")
      lastDiv: Int8 @aggregate(fn: "last", arg: "big / nullif(qty, 0)")
      partial: BigDecimal @aggregate(fn: "sum", arg: "nullif(amount0, 4)")
    }
"#;

/// A swap at block time `time` (seconds): (id, pool, amount0, amount1, price, qty, big).
fn swap(
    (id, pool, amount0, amount1, price, qty, big): (i64, u8, &str, &str, &str, i32, i64),
    time: u64,
) -> EntityModification {
    EntityModification::Insert {
        key: EntityKey {
            entity_type: "Swap".into(),
            id: Id::Int8(id),
        },
        data: entity(&[
            ("id", Value::Int8(id)),
            ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
            ("pool", Value::Bytes(vec![pool])),
            ("amount0", dec(amount0)),
            ("amount1", dec(amount1)),
            ("price", dec(price)),
            ("qty", Value::Int(qty)),
            ("big", Value::Int8(big)),
        ]),
    }
}

/// A `Flow` row; `None` fields are absent (null).
#[allow(clippy::too_many_arguments)]
fn flow(
    (id, hours, pool): (i64, i64, u8),
    (value, best, cond, third): (&str, &str, &str, &str),
    rounded: i64,
    (all_value, all_halves): (&str, i32),
    first_neg: i32,
    last_div: Option<i64>,
    partial: Option<&str>,
) -> Entity {
    let mut e = entity(&[
        ("id", Value::Int8(id)),
        ("timestamp", Value::Timestamp(hours * 3600 * 1_000_000)),
        ("pool", Value::Bytes(vec![pool])),
        ("value", dec(value)),
        ("best", dec(best)),
        ("cond", dec(cond)),
        ("third", dec(third)),
        ("rounded", Value::Int8(rounded)),
        ("allValue", dec(all_value)),
        ("allHalves", Value::Int(all_halves)),
        ("firstNeg", Value::Int(first_neg)),
    ]);
    if let Some(v) = last_div {
        e.insert("lastDiv".into(), Value::Int8(v));
    }
    if let Some(v) = partial {
        e.insert("partial".into(), dec(v));
    }
    e
}

/// Expression aggregates give PostgreSQL's values (graph-node computes them in SQL): exact
/// products, PostgreSQL's division scale (`4 / 3` is 1.3333333333333333, 16 digits, not
/// Sprig's 34), integer division, sums rounded into integer fields once (cumulative ones
/// after adding the previous bucket's stored value), NULLs skipped; in finished and current
/// buckets. An expression that fails (division by zero) halts the rollup with the reason.
fn expression_aggregates(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("expr", Arc::new(Schema::parse(EXPR_SDL).unwrap()))
        .unwrap();
    let hour = |block: Option<u64>| {
        d.query(&EntityQuery {
            entity_type: "Flow_hour".into(),
            filters: vec![],
            order_by: Some("timestamp".into()),
            order_direction: OrderDirection::Ascending,
            first: 1000,
            skip: 0,
            block,
        })
        .unwrap()
    };
    let t1 = 10 * HOUR + 100;
    d.transact_block(
        ptr(1),
        t1,
        block(vec![
            swap((1, 1, "1.5", "2", "3", 3, 10), t1),
            swap((2, 2, "1", "1", "2", 0, 5), t1),
        ]),
    )
    .unwrap();
    let t2 = 10 * HOUR + 200;
    d.transact_block(
        ptr(2),
        t2,
        block(vec![swap((3, 1, "4", "1", "0.5", 2, 7), t2)]),
    )
    .unwrap();
    let t3 = 11 * HOUR + 5;
    d.transact_block(
        ptr(3),
        t3,
        block(vec![swap((4, 1, "2", "3", "1.25", 1, 9), t3)]),
    )
    .unwrap();
    let hour_10 = vec![
        // Pool 2: 1 / 3 has 20 decimals (PostgreSQL's scale for a quotient below 1); qty 0
        // makes `big / nullif(qty, 0)` NULL, so `lastDiv` has no value.
        flow(
            (2, 10, 2),
            ("2", "1", "0", "0.33333333333333333333"),
            0,
            ("2", 0),
            0,
            None,
            Some("1"),
        ),
        // Pool 1: 3 * 1.5 + 0.5 * 4; 1.5 / 3 + 4 / 3 = 0.5 + 1.3333333333333333; 3 / 4.0 +
        // 2 / 4.0 = 1.25 rounds to 1; 1.5 + 1.0 = 2.5 rounds to 3; 7 / 2 truncates to 3;
        // nullif(4, 4) is skipped.
        flow(
            (3, 10, 1),
            ("6.5", "4", "4", "1.8333333333333333"),
            1,
            ("6.5", 3),
            -3,
            Some(3),
            Some("1.5"),
        ),
    ];
    let mut rows = hour(None);
    rows.sort_by_key(|e| e["id"].to_string());
    assert_eq!(rows, hour_10);

    // The current bucket: hour 11 so far, cumulative values carried from hour 10 (the stored
    // 3 plus 0.5 is 3.5, which rounds to 4).
    let hour_11 = flow(
        (4, 11, 1),
        ("2.5", "3", "0", "0.66666666666666666667"),
        0,
        ("9", 4),
        -1,
        Some(9),
        Some("2"),
    );
    assert_eq!(
        d.current_buckets("Flow_hour", &[], 3).unwrap(),
        vec![hour_11.clone()]
    );
    // Finished the same way.
    d.transact_block(ptr(4), 12 * HOUR, block(vec![])).unwrap();
    let rows = hour(None);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.last(), Some(&hour_11));

    // PostgreSQL's errors are errors here too.
    let bad = EXPR_SDL.replace("qty / 4.0", "big / (qty - 1)");
    let d = store
        .deployment("bad", Arc::new(Schema::parse(&bad).unwrap()))
        .unwrap();
    d.transact_block(
        ptr(1),
        t1,
        block(vec![swap((1, 1, "1", "1", "1", 1, 10), t1)]),
    )
    .unwrap();
    let err = d
        .transact_block(ptr(2), t3, block(vec![]))
        .map(|_| ())
        .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("cannot evaluate `big / (qty - 1)` for `rounded` on `Swap`[1]")
            && err.contains("division by zero"),
        "{err}"
    );
    // A constant part that fails fails the rollup even if no row needs it, as PostgreSQL
    // fails graph-node's query while planning it.
    let constant = EXPR_SDL.replace("qty / 4.0", "case when qty < 0 then 1 / 0 else qty end");
    // A store of its own: the failed block above leaves the SQLite store unusable.
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("constant", Arc::new(Schema::parse(&constant).unwrap()))
        .unwrap();
    d.transact_block(
        ptr(1),
        t1,
        block(vec![swap((1, 1, "1", "1", "1", 1, 10), t1)]),
    )
    .unwrap();
    let err = d
        .transact_block(ptr(2), t3, block(vec![]))
        .map(|_| ())
        .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("for `rounded`") && err.contains("division by zero"),
        "{err}"
    );
}

/// A plain field is summed as graph-node's SQL sums it: an `Int` sum in 64 bits and a
/// BigDecimal sum exactly, converted to the field once. A running sum may leave the field's range
/// (or 34 digits) on the way, as long as the bucket's total fits; a total that does not fit fails.
fn plain_sums_are_converted_once(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let sdl = r#"
        type Point @entity(timeseries: true) {
          id: Int8! timestamp: Timestamp! n: Int! d: BigDecimal!
        }
        type Total @aggregation(intervals: ["hour"], source: "Point") {
          id: Int8! timestamp: Timestamp!
          n: Int! @aggregate(fn: "sum", arg: "n")
          d: BigDecimal! @aggregate(fn: "sum", arg: "d")
          top: Int! @aggregate(fn: "max", arg: "n")
          rows: Int8! @aggregate(fn: "count", arg: "n * 2")
        }
    "#;
    let d = store
        .deployment("sums", Arc::new(Schema::parse(sdl).unwrap()))
        .unwrap();
    let point = |id: i64, time: u64, n: i32, d: &str| EntityModification::Insert {
        key: EntityKey {
            entity_type: "Point".into(),
            id: Id::Int8(id),
        },
        data: entity(&[
            ("id", Value::Int8(id)),
            ("timestamp", Value::Timestamp(time as i64 * 1_000_000)),
            ("n", Value::Int(n)),
            ("d", dec(d)),
        ]),
    };
    // Hour 1: 2e9 + 2e9 leaves i32's range, -2e9 - 1e9 brings it back; 1e30 + 0.00001 needs 36
    // digits, and -1e30 leaves the 0.00001 a rounded running sum would have lost.
    let t = HOUR + 10;
    d.transact_block(
        ptr(1),
        t,
        block(vec![
            point(1, t, 2_000_000_000, "1e30"),
            point(2, t, 2_000_000_000, "0.00001"),
            point(3, t, -2_000_000_000, "-1e30"),
            point(4, t, -1_000_000_000, "0"),
        ]),
    )
    .unwrap();
    d.transact_block(ptr(2), 2 * HOUR, block(vec![])).unwrap();
    let rows = d
        .query(&EntityQuery {
            entity_type: "Total_hour".into(),
            filters: vec![],
            order_by: None,
            order_direction: OrderDirection::Ascending,
            first: 10,
            skip: 0,
            block: None,
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["n"], Value::Int(1_000_000_000));
    assert_eq!(rows[0]["d"], dec("0.00001"));
    assert_eq!(rows[0]["top"], Value::Int(2_000_000_000));
    // `count` counts rows whatever its argument (graph-node's `count(*)`).
    assert_eq!(rows[0]["rows"], Value::Int8(4));
    // Hour 2 ends with 4e9, which an Int cannot hold: the block closing it fails.
    let t = 2 * HOUR + 10;
    d.transact_block(
        ptr(3),
        t,
        block(vec![
            point(5, t, 2_000_000_000, "1"),
            point(6, t, 2_000_000_000, "1"),
        ]),
    )
    .unwrap();
    let err = d
        .transact_block(ptr(4), 3 * HOUR, block(vec![]))
        .unwrap_err();
    assert!(format!("{err:#}").contains("`Total.n`"), "{err:#}");
}

on_both_backends!(
    buckets_are_computed_when_a_block_crosses_the_boundary,
    null_dimensions_have_no_previous_bucket,
    current_bucket_is_computed_from_unrolled_rows,
    expression_aggregates,
    plain_sums_are_converted_once,
);
