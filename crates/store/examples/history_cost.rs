//! Measures what keeping history (versions by block range) costs: `ENTITIES` accounts are
//! inserted, then overwritten in `ROUNDS` rounds (blocks of 1000), three ways:
//!
//! - **full history**: every overwrite closes a version and adds one (Sprig's default);
//! - **pruned**: the same, pruning after every round to the last 10 blocks
//!   (`indexerHints.prune`), so each entity keeps one or two versions;
//! - **none** (SQLite only): a plain table updated in place with multi-row upserts, the same
//!   batch sizes and an index on the queried column: what a store without history does.
//!
//! For each it prints overwrite throughput, stored versions, the database size (SQLite), and
//! the latency of two latest-state queries: the 100 largest balances, and a lookup by id.
//!
//! `cargo run --release -p sprig-store --example history_cost [entities] [rounds]`
//! (`SPRIG_BENCH_DB=postgres` with `--features testing` for PostgreSQL; no "none" row there).

mod bench_data;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bench_data::{account, SDL};
use sprig_manifest::Schema;
use sprig_store::{
    BlockWrite, Deployment, EntityModification, EntityQuery, Filter, OrderDirection, QueryStore,
    Store, WritableStore,
};
use sprig_value::{BlockPtr, Value};

const PER_BLOCK: u64 = 1000;
const KEEP: u64 = 10;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let entities: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let rounds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let requested = std::env::var("SPRIG_BENCH_DB").ok();
    #[cfg(feature = "testing")]
    let server = match requested.as_deref() {
        Some("postgres") => Some(sprig_store::testing::Postgres::start()?),
        _ => None,
    };
    println!("{entities} accounts, {rounds} rounds of overwrites, blocks of {PER_BLOCK}");
    println!(
        "{:<14} {:>12} {:>10} {:>10} {:>12} {:>12}",
        "history", "overwrite/s", "versions", "size MB", "top-100 ms", "lookup us"
    );
    for prune in [false, true] {
        let location = match requested.as_deref() {
            #[cfg(feature = "testing")]
            Some("postgres") => server.as_ref().expect("started").create_database()?,
            Some(url) => url.to_string(),
            None => dir
                .path()
                .join(format!("history-{prune}.db"))
                .display()
                .to_string(),
        };
        let store = Store::open(&location)?;
        let d = store.deployment("bench", Arc::new(Schema::parse(SDL)?))?;
        let mut block = 0;
        let mut write_round = |round: u64| -> Result<()> {
            for first in (0..entities).step_by(PER_BLOCK as usize) {
                block += 1;
                let modifications = (first..(first + PER_BLOCK).min(entities))
                    .map(|i| {
                        let (key, data) = account(i, round);
                        if round == 0 {
                            EntityModification::Insert { key, data }
                        } else {
                            EntityModification::Overwrite { key, data }
                        }
                    })
                    .collect();
                let write = BlockWrite {
                    modifications,
                    ..BlockWrite::default()
                };
                let ptr = BlockPtr {
                    number: block,
                    hash: [0; 32],
                };
                d.transact_block_deferred(ptr, block, write)?;
            }
            d.flush()?;
            if prune && block > KEEP {
                d.prune(block - KEEP)?;
            }
            Ok(())
        };
        write_round(0)?;
        let start = Instant::now();
        for round in 1..=rounds {
            write_round(round)?;
        }
        let rate = (entities * rounds) as f64 / start.elapsed().as_secs_f64();
        let (top, lookup) = query_latency(&d, entities)?;
        let name = if prune { "pruned (10)" } else { "full" };
        let versions = sqlite_versions(&location)?;
        report(name, rate, versions, sqlite_size(&location), top, lookup);
    }
    if requested.is_none() {
        none_baseline(&dir.path().join("none.db"), entities, rounds)?;
    }
    Ok(())
}

fn report(
    name: &str,
    rate: f64,
    versions: Option<u64>,
    size: Option<f64>,
    top: Duration,
    lookup: Duration,
) {
    let versions = versions.map_or("-".into(), |v| v.to_string());
    let size = size.map_or("-".into(), |s| format!("{s:.1}"));
    println!(
        "{name:<14} {rate:>12.0} {versions:>10} {size:>10} {:>12.2} {:>12.1}",
        top.as_secs_f64() * 1e3,
        lookup.as_secs_f64() * 1e6
    );
}

/// Rows of the account table (all its versions) in a SQLite database; `None` for PostgreSQL.
fn sqlite_versions(location: &str) -> Result<Option<u64>> {
    if location.starts_with("postgres") {
        return Ok(None);
    }
    let conn = rusqlite::Connection::open(location)?;
    // The first deployment of a fresh database has id 1.
    Ok(Some(conn.query_row(
        "SELECT count(*) FROM sgd1_account",
        [],
        |r| r.get(0),
    )?))
}

/// Median latency of "the 100 largest balances" and of a lookup by id, at the latest block.
fn query_latency(d: &Deployment, entities: u64) -> Result<(Duration, Duration)> {
    let top = EntityQuery {
        entity_type: "Account".into(),
        filters: vec![],
        order_by: Some("balance".into()),
        order_direction: OrderDirection::Descending,
        first: 100,
        skip: 0,
        block: None,
    };
    let mut tops = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        assert_eq!(d.query(&top)?.len(), 100);
        tops.push(start.elapsed());
    }
    let mut lookups = Vec::new();
    for i in (0..entities).step_by((entities / 500).max(1) as usize) {
        let (key, _) = account(i, 0);
        let Value::Bytes(id) = key.id.to_value() else {
            unreachable!("accounts have Bytes ids")
        };
        let query = EntityQuery {
            filters: vec![Filter::Equal("id".into(), Value::Bytes(id))],
            first: 1,
            ..top.clone()
        };
        let start = Instant::now();
        assert_eq!(d.query(&query)?.len(), 1);
        lookups.push(start.elapsed());
    }
    Ok((median(tops), median(lookups)))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The size of a SQLite database with its write-ahead log, in MB; `None` for PostgreSQL.
fn sqlite_size(location: &str) -> Option<f64> {
    if location.starts_with("postgres") {
        return None;
    }
    let bytes: u64 = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{location}{suffix}")).ok())
        .map(|m| m.len())
        .sum();
    Some(bytes as f64 / 1e6)
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<rusqlite::types::Value>> {
    (0..6).map(|i| row.get(i)).collect()
}

/// The same rounds into a plain SQLite table updated in place: no block ranges at all.
fn none_baseline(path: &Path, entities: u64, rounds: u64) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE account (id BLOB PRIMARY KEY, balance BLOB, tx_count INTEGER,
           last_seen INTEGER, label TEXT, token BLOB);
         CREATE INDEX account_balance ON account(balance);",
    )?;
    const BATCH: usize = 256;
    let upsert = format!(
        "INSERT INTO account VALUES {} ON CONFLICT (id) DO UPDATE SET balance = excluded.balance,
           tx_count = excluded.tx_count, last_seen = excluded.last_seen, label = excluded.label,
           token = excluded.token",
        vec!["(?, ?, ?, ?, ?, ?)"; BATCH].join(", ")
    );
    let mut write_round = |round: u64| -> Result<()> {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(&upsert)?;
            let rows: Vec<_> = (0..entities).map(|i| account(i, round).1).collect();
            for chunk in rows.chunks(BATCH) {
                let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(BATCH * 6);
                for data in chunk.iter().cycle().take(BATCH) {
                    let field = |name: &str| data.get(name).cloned().unwrap_or(Value::Null);
                    let bytes = |v: Value| match v {
                        Value::Bytes(b) => rusqlite::types::Value::Blob(b),
                        Value::BigInt(b) => rusqlite::types::Value::Blob(b.to_signed_bytes_le()),
                        other => unreachable!("{other}"),
                    };
                    let int = |v: Value| match v {
                        Value::Int(i) => rusqlite::types::Value::Integer(i.into()),
                        Value::Timestamp(t) => rusqlite::types::Value::Integer(t),
                        other => unreachable!("{other}"),
                    };
                    params.push(bytes(field("id")));
                    params.push(bytes(field("balance")));
                    params.push(int(field("txCount")));
                    params.push(int(field("lastSeen")));
                    params.push(rusqlite::types::Value::Text(field("label").to_string()));
                    params.push(bytes(field("token")));
                }
                stmt.execute(rusqlite::params_from_iter(params))?;
            }
        }
        tx.commit()?;
        Ok(())
    };
    write_round(0)?;
    let start = Instant::now();
    for round in 1..=rounds {
        write_round(round)?;
    }
    let rate = (entities * rounds) as f64 / start.elapsed().as_secs_f64();
    let mut tops = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        let mut stmt = conn.prepare_cached(
            "SELECT id, balance, tx_count, last_seen, label, token FROM account
              ORDER BY balance DESC LIMIT 100",
        )?;
        // Read every column, as the store does (it also decodes them into entities).
        let rows = stmt
            .query_map([], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert_eq!(rows.len(), 100);
        tops.push(start.elapsed());
    }
    let mut lookups = Vec::new();
    for i in (0..entities).step_by((entities / 500).max(1) as usize) {
        let Some(Value::Bytes(id)) = account(i, 0).1.get("id").cloned() else {
            unreachable!()
        };
        let start = Instant::now();
        let mut stmt = conn.prepare_cached(
            "SELECT id, balance, tx_count, last_seen, label, token FROM account WHERE id = ?1",
        )?;
        let rows = stmt
            .query_map([id], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert_eq!(rows.len(), 1);
        lookups.push(start.elapsed());
    }
    let size = sqlite_size(&path.display().to_string());
    report(
        "none (SQLite)",
        rate,
        Some(entities),
        size,
        median(tops),
        median(lookups),
    );
    Ok(())
}
