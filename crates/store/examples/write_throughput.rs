//! Measures the store's write path: inserts, then overwrites, then overwrites through the
//! entity cache (which also reads every entity once), of `ENTITIES` entities in blocks of
//! `PER_BLOCK`, into a SQLite file in a temporary directory or, with `SPRIG_BENCH_DB` set to a
//! `postgres://` URL (an empty database), into PostgreSQL; `SPRIG_BENCH_DB=postgres` starts a
//! throwaway server (needs `--features testing`).
//!
//! `cargo run --release -p sprig-store --example write_throughput [entities] [per_block]`

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use sprig_manifest::Schema;
use sprig_store::{
    BlockWrite, EntityCache, EntityModification, EntityReader, Store, WritableStore,
};
use sprig_value::{BlockPtr, Value};

mod bench_data;

use bench_data::{account, SDL};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let entities: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let per_block: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let mut location = std::env::var("SPRIG_BENCH_DB")
        .unwrap_or_else(|_| dir.path().join("bench.db").display().to_string());
    #[cfg(feature = "testing")]
    let _server = if location == "postgres" {
        let server = sprig_store::testing::Postgres::start()?;
        location = server.create_database()?;
        Some(server)
    } else {
        None
    };
    let store = Store::open(&location)?;
    println!("store: {}", store.location());
    let schema = Arc::new(Schema::parse(SDL)?);
    let deployment = store.deployment("bench", schema.clone())?;
    let mut block = 0;
    let mut run = |name: &str,
                   make: &mut dyn FnMut(u64, u64) -> Result<Vec<EntityModification>>|
     -> Result<()> {
        let start = Instant::now();
        for first in (0..entities).step_by(per_block as usize) {
            block += 1;
            let last = (first + per_block).min(entities);
            let write = BlockWrite {
                modifications: make(first, last)?,
                ..BlockWrite::default()
            };
            let ptr = BlockPtr {
                number: block,
                hash: [0; 32],
            };
            deployment.transact_block(ptr, block, write)?;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name:<28} {entities} rows in {secs:.2} s = {:>9.0} rows/s ({per_block} per block)",
            entities as f64 / secs
        );
        Ok(())
    };

    run("insert", &mut |first, last| {
        Ok((first..last)
            .map(|i| {
                let (key, data) = account(i, 0);
                EntityModification::Insert { key, data }
            })
            .collect())
    })?;
    run("overwrite", &mut |first, last| {
        Ok((first..last)
            .map(|i| {
                let (key, data) = account(i, 1);
                EntityModification::Overwrite { key, data }
            })
            .collect())
    })?;
    let reader: Arc<dyn EntityReader> = Arc::new(deployment.clone());
    run("cache get+set+overwrite", &mut |first, last| {
        let mut cache = EntityCache::new(reader.clone(), schema.clone());
        for i in first..last {
            let (key, _) = account(i, 2);
            let mut entity = cache.get(&key)?.expect("inserted above");
            entity.insert("txCount".into(), Value::Int(2));
            cache.set(key, entity)?;
        }
        cache.into_modifications()
    })?;
    Ok(())
}
