//! A long CPU-bound handler in `sprig dev` (indexer and GraphQL server in one process): GraphQL
//! queries are answered while it runs, not after it.
//!
//! The `busy` example's `Work(rounds)` event makes its handler spin `rounds` xorshift steps in
//! wasm, logging when the loop starts and when it is done. The test never asserts an absolute
//! speed: it measures how long the handler ran on this machine, then checks that queries sent
//! during that window were answered inside it, quickly relative to it, and saw the block as not
//! yet committed.
//!
//! Two things keep the server answering: `sprig dev` indexes in the main thread's `block_on` while
//! the server runs on the runtime's worker threads, and a handler yields to the executor every
//! 10^6 units of fuel (`crates/runtime/tests/yielding.rs`). Either alone suffices: with a
//! current-thread runtime this test still passes; with neither, it fails (no query is answered
//! until the handler ends).

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use sprig_chain::testing::TxRequest;
use support::*;

/// xorshift steps of the long handler: about 1-2 s of wasm on the development machine (a tight
/// loop burns ~10^10 fuel per second; one round is ~25 fuel). Only its order of magnitude
/// matters: the assertions scale with the duration measured.
const ROUNDS: u64 = 700_000_000;

/// The shortest handler run that still tests anything: well above a query's round trip.
const MIN_HANDLER_RUN: Duration = Duration::from_millis(500);

/// Queries that must be answered while the handler runs. With the server blocked by the handler
/// none would be (the first would wait until the handler ended).
const MIN_QUERIES_DURING_HANDLER: usize = 3;

#[tokio::test(flavor = "multi_thread")]
async fn a_long_cpu_bound_handler_does_not_delay_graphql_queries() {
    let anvil = anvil();
    let busy = deploy_busy(&anvil).await;
    assert_eq!(anvil.block_number().await.unwrap(), 1);

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut dev = Dev::start(
        dev_command("busy", anvil.url(), dir.path().join("busy.sqlite"), port)
            // Far above what ROUNDS needs (~2 x 10^10): gas must not end the handler.
            .args(["--gas-limit", "1000000000000"])
            // The mapping's log.info lines mark the start and end of the loop.
            .env("SPRIG_LOG", "sprig::mapping=info"),
    );
    let server = Server::attach(port);

    // Block 1 (the deployment, no triggers) is committed before the long block exists, so the
    // server is up and `_meta` has a block to report while block 2 runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    while meta_block(&server).await != Some(1) {
        dev.assert_running();
        assert!(Instant::now() < deadline, "dev did not index block 1");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let receipt = anvil
        .send_transaction(TxRequest::call(busy, calldata("work(uint256)", ROUNDS)))
        .await
        .unwrap();
    assert_eq!((receipt.status, receipt.block_number), (Some(1), 2));
    let started = dev.wait_for_line("work started", Duration::from_secs(60));

    // Query, one after the other, until block 2 is committed.
    let mut queries = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "block 2 was not committed");
        dev.assert_running();
        let sent = Instant::now();
        let block = meta_block(&server).await;
        let answered = Instant::now();
        queries.push(Query {
            sent,
            answered,
            block,
        });
        if block == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Logged before the block is committed, so it is there or on its way.
    let done = dev.wait_for_line("work done", Duration::from_secs(10));

    let handler_run = done - started;
    assert!(
        handler_run >= MIN_HANDLER_RUN,
        "the handler ran only {handler_run:?}; raise ROUNDS so that it runs long enough to test \
         anything"
    );
    let during: Vec<&Query> = queries
        .iter()
        .filter(|q| q.sent >= started && q.answered <= done)
        .collect();
    let report = format!(
        "handler ran {handler_run:?}; {} queries during it, {} in all; latencies: {:?}",
        during.len(),
        queries.len(),
        queries
            .iter()
            .map(|q| q.answered - q.sent)
            .collect::<Vec<_>>()
    );
    assert!(
        during.len() >= MIN_QUERIES_DURING_HANDLER,
        "too few queries answered while the handler ran: {report}"
    );
    // Every answer given during the handler shows the block still uncommitted: the handler was
    // in progress, not finished and waiting for a commit.
    assert!(during.iter().all(|q| q.block == Some(1)), "{report}");
    // No query sent while the handler ran waited for it: each took a small part of its run
    // (a blocked server would have held the first one for nearly all of it).
    for q in queries
        .iter()
        .filter(|q| q.sent >= started && q.sent < done)
    {
        assert!(q.answered - q.sent < handler_run / 4, "{report}");
    }
    eprintln!("{report}");

    // The handler did finish, and its entity is stored.
    let data = server
        .query("busy", "{ works { block rounds result } }")
        .await
        .unwrap();
    let works = data["works"].as_array().unwrap();
    assert_eq!(works.len(), 1, "{data}");
    assert_eq!(works[0]["block"], "2");
    assert_eq!(works[0]["rounds"], ROUNDS.to_string());
    assert_ne!(works[0]["result"], "0");
}

struct Query {
    sent: Instant,
    answered: Instant,
    block: Option<u64>,
}

/// `_meta { block { number } }`, or `None` before the first block (or on any error).
async fn meta_block(server: &Server) -> Option<u64> {
    let data: Value = server
        .query("busy", "{ _meta { block { number } } }")
        .await
        .ok()?;
    data["_meta"]["block"]["number"].as_u64()
}
