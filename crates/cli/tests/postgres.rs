//! End to end: the example subgraphs indexed into SQLite and into PostgreSQL by the real
//! `sprig` binary give identical entities and identical proofs of indexing at every block, and
//! `sprig serve`, `status` and `poi` work against a `postgres://` URL.

mod support;

use serde_json::Value;
use sprig_store::testing::Postgres;
use sprig_store::{Deployment, EntityQuery, OrderDirection, QueryStore, Store, WritableStore};
use support::*;

/// Indexes `example` into both backends (PostgreSQL in two runs, resuming in the middle) and
/// compares them block by block.
async fn assert_parity(example: &str, count: u32, collection: &str) {
    let anvil = anvil();
    let summary = emit(example, anvil.url(), count);
    let last_block = summary["lastBlock"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("parity.sqlite");
    let server = Postgres::shared().unwrap();
    let postgres = server.create_database().unwrap();
    assert_ok(&index(example, anvil.url(), &sqlite, last_block));
    assert_ok(&index(example, anvil.url(), &postgres, last_block / 2));
    assert_ok(&index(example, anvil.url(), &postgres, last_block));

    let open = |location: &str| -> Deployment {
        Store::open(location)
            .unwrap()
            .open_deployment(example)
            .unwrap()
    };
    let (a, b) = (open(sqlite.to_str().unwrap()), open(&postgres));
    assert_eq!(a.status().unwrap(), b.status().unwrap());
    assert_eq!(a.status().unwrap().head.map(|h| h.number), Some(last_block));
    let types: Vec<String> = a
        .schema()
        .entity_types
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let mut entities_seen = 0;
    for block in 0..=last_block {
        assert_eq!(
            a.poi_digests(block).unwrap(),
            b.poi_digests(block).unwrap(),
            "proof of indexing digests at block {block}"
        );
        for entity_type in &types {
            let query = EntityQuery {
                entity_type: entity_type.clone(),
                filters: vec![],
                order_by: None,
                order_direction: OrderDirection::Ascending,
                first: u32::MAX,
                skip: 0,
                block: Some(block),
            };
            let entities = a.query(&query).unwrap();
            assert_eq!(
                entities,
                b.query(&query).unwrap(),
                "{entity_type} entities at block {block}"
            );
            entities_seen += entities.len();
        }
    }
    assert!(entities_seen > 0, "the comparison saw no entities");
    assert_eq!(a.data_sources().unwrap(), b.data_sources().unwrap());
    assert_eq!(
        poi(&sqlite, example, last_block),
        poi(&postgres, example, last_block)
    );

    // The same answers over GraphQL from `sprig serve` on each database.
    let query = format!("{{ {collection}(first: 1000, orderBy: id) {{ id }} _meta {{ block {{ number hash }} hasIndexingErrors }} }}");
    let from_sqlite: Value = serve(&sqlite).query(example, &query).await.unwrap();
    let from_postgres: Value = serve(&postgres).query(example, &query).await.unwrap();
    assert_eq!(from_sqlite, from_postgres);
    assert!(!from_sqlite[collection].as_array().unwrap().is_empty());

    let status = sprig()
        .args(["status", "--db", &postgres])
        .output()
        .unwrap();
    assert_ok(&status);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!("latest block: {last_block}")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erc20_is_identical_in_sqlite_and_postgres() {
    assert_parity("erc20", 120, "transfers").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn factory_is_identical_in_sqlite_and_postgres() {
    assert_parity("factory", 20, "pairs").await;
}

#[test]
fn a_second_writer_of_a_deployment_is_refused() {
    let server = Postgres::shared().unwrap();
    let url = server.create_database().unwrap();
    let schema = std::sync::Arc::new(
        sprig_manifest::Schema::parse("type A @entity(immutable: true) { id: ID! }").unwrap(),
    );
    let first = Store::open(&url)
        .unwrap()
        .deployment("a", schema.clone())
        .unwrap();
    let second = Store::open(&url).unwrap().deployment("a", schema).unwrap();
    first.flush().unwrap();
    let err = second.flush().unwrap_err();
    assert!(
        format!("{err:#}").contains("is being written by another process"),
        "{err:#}"
    );
    // Readers are not affected, and the lock goes with its holder.
    assert_eq!(second.status().unwrap().head, None);
    // (The server notices the closed connection shortly after the drop.)
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while let Err(e) = second.flush() {
        assert!(std::time::Instant::now() < deadline, "{e:#}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
