//! Measures what a `@fulltext` search costs: `ENTITIES` tokens with three-word names (from a
//! 200-word vocabulary) are inserted in blocks of 1000, then overwritten once, with and without
//! a search over their names; then the latency of searches: one word, a prefix, and `a & b`,
//! each returning the first 100 by rank.
//!
//! `cargo run --release -p sprig-store --example fulltext_cost [entities]`
//! (`SPRIG_BENCH_DB=postgres` with `--features testing` for PostgreSQL).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use sprig_manifest::Schema;
use sprig_store::{
    BlockWrite, EntityModification, EntityQuery, Filter, OrderDirection, QueryStore, Store,
    WritableStore,
};
use sprig_value::{BlockPtr, EntityKey, Id, Value};

const PER_BLOCK: u64 = 1000;

const TYPES: &str =
    "type Token @entity(immutable: false) { id: ID! name: String! symbol: String! }";
const SEARCH: &str = r#"type _Schema_ @fulltext(name: "tokenSearch", language: en, algorithm: rank,
  include: [{ entity: "Token", fields: [{ name: "name" }, { name: "symbol" }] }])"#;

/// Word `i` of the vocabulary: distinct, pronounceable, some sharing prefixes.
fn word(i: u64) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "zu", "fa", "gi", "ho", "ju", "be",
        "co", "va", "wi", "xo", "ye",
    ];
    format!(
        "{}{}{}",
        SYLLABLES[(i % 20) as usize],
        SYLLABLES[((i / 20) % 20) as usize],
        "n"
    )
}

fn token(i: u64, round: u64) -> (EntityKey, sprig_value::Entity) {
    // A cheap deterministic mix of the index and round.
    let h = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let name = format!(
        "{} {} {}",
        word(h % 200),
        word((h >> 16) % 200),
        word((h >> 32) % 200)
    );
    let id = format!("t{i}");
    let data = [
        ("id", Value::String(id.clone())),
        ("name", Value::String(name)),
        ("symbol", Value::String(format!("S{}", i % 1000))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    (
        EntityKey {
            entity_type: "Token".into(),
            id: Id::String(id),
        },
        data,
    )
}

fn main() -> Result<()> {
    let entities: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let dir = tempfile::tempdir()?;
    let requested = std::env::var("SPRIG_BENCH_DB").ok();
    #[cfg(feature = "testing")]
    let server = match requested.as_deref() {
        Some("postgres") => Some(sprig_store::testing::Postgres::start()?),
        _ => None,
    };
    println!("{entities} tokens inserted then overwritten, blocks of {PER_BLOCK}");
    println!(
        "{:<10} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "search", "writes/s", "word ms", "prefix ms", "and ms", "matches"
    );
    for with_search in [false, true] {
        let location = match requested.as_deref() {
            #[cfg(feature = "testing")]
            Some("postgres") => server.as_ref().expect("started").create_database()?,
            Some(url) => url.to_string(),
            None => dir
                .path()
                .join(format!("fulltext-{with_search}.db"))
                .display()
                .to_string(),
        };
        let sdl = if with_search {
            format!("{SEARCH}\n{TYPES}")
        } else {
            TYPES.to_string()
        };
        let store = Store::open(&location)?;
        let d = store.deployment(
            &format!("bench-{with_search}"),
            Arc::new(Schema::parse(&sdl)?),
        )?;
        let started = Instant::now();
        let mut block = 0;
        for round in 0..2 {
            for first in (0..entities).step_by(PER_BLOCK as usize) {
                block += 1;
                let modifications = (first..(first + PER_BLOCK).min(entities))
                    .map(|i| {
                        let (key, data) = token(i, round);
                        if round == 0 {
                            EntityModification::Insert { key, data }
                        } else {
                            EntityModification::Overwrite { key, data }
                        }
                    })
                    .collect();
                let ptr = BlockPtr {
                    number: block,
                    hash: [block as u8; 32],
                };
                d.transact_block(
                    ptr,
                    block,
                    BlockWrite {
                        modifications,
                        ..BlockWrite::default()
                    },
                )?;
            }
        }
        let writes = (2 * entities) as f64 / started.elapsed().as_secs_f64();
        if !with_search {
            println!("{:<10} {writes:>10.0}", "none");
            continue;
        }
        let search = |text: &str| -> Result<(Duration, usize)> {
            let query = EntityQuery {
                entity_type: "Token".into(),
                filters: vec![Filter::Fulltext("tokenSearch".into(), text.into())],
                order_by: Some("tokenSearch".into()),
                order_direction: OrderDirection::Ascending,
                first: 100,
                skip: 0,
                block: None,
            };
            d.query(&query)?; // warm up
            let runs = 5;
            let started = Instant::now();
            let mut found = 0;
            for _ in 0..runs {
                found = d.query(&query)?.len();
            }
            Ok((started.elapsed() / runs, found))
        };
        let (w, n) = search(&word(7))?;
        let (p, _) = search(&format!("{}:*", &word(7)[..3]))?;
        let (a, _) = search(&format!("{} & {}", word(7), word(8)))?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<10} {writes:>10.0} {:>12.2} {:>12.2} {:>12.2} {n:>12}",
            "fulltext",
            ms(w),
            ms(p),
            ms(a)
        );
    }
    Ok(())
}
