//! Timeseries and aggregations end to end (`examples/aggregations`, built by graph-cli): a block
//! handler writes one `Block` data point per block; the store rolls them up into hourly and
//! daily `Stats` when the chain's time crosses a boundary; GraphQL serves both. The chain's
//! block times are set with anvil's `evm_setNextBlockTimestamp`.

mod support;

use serde_json::{json, Value};
use support::*;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// The id the store generates for the first data point of block `number`.
fn id(number: u64) -> String {
    (number << 32).to_string()
}

fn micros(seconds: u64) -> String {
    (seconds * 1_000_000).to_string()
}

/// One bucket as the query below selects it: `values` are count, sum, max, last, total and
/// evenMax; `thirds` is the sum of `number / 3.0`.
fn stats(id_block: u64, start: u64, parity: u8, values: [u64; 6], thirds: &str) -> Value {
    let [count, sum, max, last, total, even_max] = values;
    json!({
        "id": id(id_block), "timestamp": micros(start), "parity": parity,
        "count": count.to_string(), "sum": sum.to_string(), "max": max.to_string(),
        "last": last.to_string(), "total": total.to_string(), "thirds": thirds,
        "evenMax": even_max.to_string(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_follow_the_chain_time_sqlite() {
    buckets_follow_the_chain_time(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_follow_the_chain_time_postgres() {
    buckets_follow_the_chain_time(Backend::Postgres).await
}

async fn buckets_follow_the_chain_time(backend: Backend) {
    let anvil = anvil();
    let url = anvil.url().to_string();
    // Blocks 1 and 2 in the first hour of a day, block 3 in its second hour, block 4 the next
    // day: block 3 closes hour 0, block 4 closes hour 1 and the day.
    let base = (block_timestamp(&url, 0).await / DAY + 2) * DAY;
    let times = [base + 10, base + 20, base + HOUR + 5, base + DAY + 1];
    for time in times {
        rpc(&url, "evm_setNextBlockTimestamp", json!([time])).await;
        rpc(&url, "evm_mine", json!([])).await;
    }

    let databases = Databases::new(backend);
    let db = databases.create("aggregations.sqlite");
    // Two runs: the second one's first block closes the hour and day the first run's blocks
    // are in, from the head the first run stored.
    assert_ok(&index("aggregations", &url, &db, 3));
    assert_ok(&index("aggregations", &url, &db, 4));
    let server = serve(&db);
    let fields = "id timestamp parity count sum max last total thirds evenMax";
    let data = server
        .query(
            "aggregations",
            &format!(
                "{{ blocks(orderBy: number) {{ id timestamp number parity }}
                   hourly: stats_collection(interval: hour) {{ {fields} }}
                   daily: stats_collection(interval: day) {{ {fields} }}
                   odd: stats_collection(interval: hour, where: {{ parity: 1, timestamp_gte: \"{}\" }}) {{ id }} }}",
                micros(base + HOUR)
            ),
        )
        .await
        .unwrap();

    let blocks: Vec<Value> = (1..=4)
        .map(|n: u64| {
            json!({
                "id": id(n), "timestamp": micros(times[n as usize - 1]),
                "number": n.to_string(), "parity": n % 2,
            })
        })
        .collect();
    assert_eq!(data["blocks"], json!(blocks));
    // Newest first; within a bucket by id, descending. `total` is cumulative per parity.
    // `thirds` has PostgreSQL's division scale: 1 / 3.0 and 2 / 3.0 to 20 decimals, 3 / 3.0
    // is 1.00000000000000000000 (read back as 1).
    assert_eq!(
        data["hourly"],
        json!([
            stats(3, base + HOUR, 1, [1, 3, 3, 3, 4, 0], "1"),
            stats(2, base, 0, [1, 2, 2, 2, 2, 2], "0.66666666666666666667"),
            stats(1, base, 1, [1, 1, 1, 1, 1, 0], "0.33333333333333333333"),
        ])
    );
    assert_eq!(
        data["daily"],
        json!([
            stats(3, base, 1, [2, 4, 3, 3, 4, 0], "1.33333333333333333333"),
            stats(2, base, 0, [1, 2, 2, 2, 2, 2], "0.66666666666666666667"),
        ])
    );
    assert_eq!(data["odd"], json!([{ "id": id(3) }]));
}
