//! Handler timeouts through the whole indexer, against a real anvil node and the SQLite store.
//!
//! A timeout is non-deterministic (a faster machine or node would have finished): nothing of the
//! block is stored, the block is retried with backoff, and after the configured retries indexing
//! halts with a message that says why. The handler's clock runs while wasm runs and pauses while
//! it waits on the node, so slow `ethereum.call`s alone do not use up the timeout; one call that
//! waits longer than the timeout is still cut off by it.
//!
//! The subgraph is `examples/busy` (its handlers burn CPU or make `ethereum.call`s on demand).
//! Retries and backoff are configured small so each test runs in seconds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use sprig_chain::rpc::RpcClient;
use sprig_chain::testing::{Anvil, TxRequest};
use sprig_indexer::{Indexer, IndexerConfig, StopReason};
use sprig_manifest::Manifest;
use sprig_runtime::{MappingRuntime, RuntimeConfig};
use sprig_store::{EntityReader, SqliteDeployment, SqliteStore};
use sprig_value::{Entity, EntityKey, Id};

/// The handler timeout of every test: long enough for the quick handlers even on a loaded
/// machine (they take milliseconds), short enough that three timed-out attempts take seconds.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Retries before indexing halts.
const MAX_RETRIES: u32 = 2;

/// xorshift rounds that take minutes of wasm (7 x 10^8 take ~2 s on the development
/// machine): only the timeout can end the handler. The gas limit is raised to match.
const ENDLESS_ROUNDS: u64 = 100_000_000_000;

/// A handler that loops in wasm past the timeout: every attempt times out, the block is retried
/// `MAX_RETRIES` times, then indexing halts naming the handler and the timeout. The block before
/// it stays committed; nothing of the timed-out block is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_looping_past_the_timeout_is_retried_then_halts_and_stores_nothing() {
    let anvil = Anvil::spawn().unwrap();
    let busy = deploy_busy(&anvil).await;
    let quick = transact(&anvil, busy, "work(uint256)", 1000).await; // block 2
    let stuck = transact(&anvil, busy, "work(uint256)", ENDLESS_ROUNDS).await; // block 3
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::capture();

    let started = Instant::now();
    let (outcome, store) = index(anvil.url(), dir.path(), 3).await;
    let elapsed = started.elapsed();

    let error = format!("{:#}", outcome.expect_err("indexing halts"));
    for part in [
        "indexing halted at block 3 after 2 retries",
        "nothing of the block was stored",
        "handler `handleWork` of data source `Busy` at block 3",
        &format!("transaction {stuck}"),
        "the handler hit the timeout of 500ms",
    ] {
        assert!(error.contains(part), "missing {part:?} in: {error}");
    }
    let logs = logs.text();
    // Three attempts: the first and two retries, each running the handler again.
    let attempts = logs
        .matches(&format!("work started: {ENDLESS_ROUNDS} rounds"))
        .count();
    assert_eq!(attempts, 3, "{logs}");
    for retry in ["retry 1/2 in 50ms", "retry 2/2 in 100ms"] {
        let warning = warning_ending_with(&logs, retry);
        assert!(warning.contains("block 3:"), "{warning}");
        assert!(warning.contains("hit the timeout of 500ms"), "{warning}");
        assert!(warning.contains("non-deterministic"), "{warning}");
    }
    // Each attempt ran at least for the timeout (the loop never ends by itself).
    assert!(elapsed >= TIMEOUT * 3, "{elapsed:?}");

    // Block 2 is committed, block 3 is not: its handler's entity is absent and the head is 2.
    assert_eq!(store.status().unwrap().head.map(|h| h.number), Some(2));
    let work = entity(&store, "Work", quick).expect("block 2's Work is stored");
    assert_eq!(work["rounds"].to_string(), "1000");
    assert_eq!(entity(&store, "Work", stuck), None);
    assert_eq!(
        store.status().unwrap().failure,
        None,
        "a timeout is no failure"
    );
}

/// A handler stuck in one `ethereum.call` that waits longer than the timeout: the clock is paused
/// during the wait, but the wait itself is bounded by the timeout, so the handler times out all
/// the same, non-deterministically: retried, then halted, nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_stuck_in_a_slow_eth_call_is_retried_then_halts_and_stores_nothing() {
    let anvil = Anvil::spawn().unwrap();
    let busy = deploy_busy(&anvil).await;
    let quick = transact(&anvil, busy, "work(uint256)", 1000).await; // block 2
    let stuck = transact(&anvil, busy, "calls(uint256)", 1).await; // block 3
    let proxy = DelayingProxy::start(anvil.url(), Duration::from_secs(20)).await;
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::capture();

    let (outcome, store) = index(&proxy.url, dir.path(), 3).await;

    let error = format!("{:#}", outcome.expect_err("indexing halts"));
    for part in [
        "indexing halted at block 3 after 2 retries",
        "handler `handleCalls` of data source `Busy` at block 3",
        &format!("transaction {stuck}"),
        "ethereum.call to 0x5fbdb2315678afecb367f032d93f642f64180aa3 (Busy::answer",
        "timed out after 500ms",
    ] {
        assert!(
            error.to_lowercase().contains(&part.to_lowercase()),
            "missing {part:?} in: {error}"
        );
    }
    let logs = logs.text();
    assert_eq!(logs.matches("timed out after 500ms").count(), 2, "{logs}");
    assert!(logs.contains("retry 2/2"), "{logs}");
    // One call per attempt, each cut off by the timeout.
    assert_eq!(proxy.eth_calls(), 3);

    assert_eq!(store.status().unwrap().head.map(|h| h.number), Some(2));
    assert!(entity(&store, "Work", quick).is_some());
    assert_eq!(entity(&store, "CallBatch", stuck), None);
}

/// Four `ethereum.call`s that each wait 300 ms: 1.2 s of waiting in a handler with a 500 ms
/// timeout, which succeeds because the clock is paused while the handler waits on the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_eth_calls_do_not_count_against_the_timeout() {
    let anvil = Anvil::spawn().unwrap();
    let busy = deploy_busy(&anvil).await;
    let batch = transact(&anvil, busy, "calls(uint256)", 4).await; // block 2
    let delay = Duration::from_millis(300);
    let proxy = DelayingProxy::start(anvil.url(), delay).await;
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::capture();

    let started = Instant::now();
    let (outcome, store) = index(&proxy.url, dir.path(), 2).await;
    let elapsed = started.elapsed();

    assert_eq!(outcome.unwrap(), StopReason::ReachedUntil(2));
    let logs = logs.text();
    assert!(!logs.contains("retry"), "{logs}");
    assert_eq!(proxy.eth_calls(), 4, "each call made once, none retried");
    // The waits really happened, and added up to more than the timeout.
    assert!(elapsed >= delay * 4 && delay * 4 > TIMEOUT, "{elapsed:?}");
    let batch = entity(&store, "CallBatch", batch).expect("the CallBatch is stored");
    assert_eq!(batch["count"].to_string(), "4");
    assert_eq!(batch["total"].to_string(), "168", "4 x answer() = 4 x 42");
}

/// Indexes `examples/busy` from the node at `rpc` up to block `until` into a new database in
/// `dir`, with [`TIMEOUT`], [`MAX_RETRIES`] and short backoffs (50 ms doubling).
async fn index(
    rpc: &str,
    dir: &Path,
    until: u64,
) -> (anyhow::Result<StopReason>, SqliteDeployment) {
    let manifest =
        Arc::new(Manifest::load(&repo().join("examples/busy/build/subgraph.yaml")).unwrap());
    let store = SqliteStore::open(dir.join("busy.sqlite")).unwrap();
    let deployment = store.deployment("busy", manifest.schema.clone()).unwrap();
    let runtime = MappingRuntime::new(RuntimeConfig {
        timeout: Some(TIMEOUT),
        // ENDLESS_ROUNDS need ~2.5 x 10^12: the timeout, not gas, must end the loop.
        gas_limit: 10_000_000_000_000,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let mut indexer = Indexer::new(
        manifest,
        // Anvil's test settings: few, short transport retries, and a request timeout far above
        // the proxy's delays, so only the handler timeout cuts a call off.
        RpcClient::connect_with(rpc, Anvil::client_config()).unwrap(),
        Arc::new(deployment.clone()),
        runtime,
        IndexerConfig {
            until: Some(until),
            max_retries: MAX_RETRIES,
            retry_backoff: Duration::from_millis(50),
            max_retry_backoff: Duration::from_millis(200),
            ..IndexerConfig::default()
        },
    )
    .unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let outcome = indexer.run(shutdown, |_| {}).await;
    (outcome, deployment)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Deploys `examples/busy`'s contract from account 0 at nonce 0 (block 1), the address its
/// manifest names.
async fn deploy_busy(anvil: &Anvil) -> Address {
    let bin = std::fs::read_to_string(repo().join("examples/busy/contracts/out/Busy.bin")).unwrap();
    let address = anvil
        .deploy(alloy::hex::decode(bin.trim()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        address,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            .parse::<Address>()
            .unwrap()
    );
    address
}

/// Calls a one-`uint256` function in its own block; returns the transaction hash.
async fn transact(anvil: &Anvil, contract: Address, signature: &str, arg: u64) -> B256 {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    data.extend_from_slice(&U256::from(arg).to_be_bytes::<32>());
    let receipt = anvil
        .send_transaction(TxRequest::call(contract, Bytes::from(data)))
        .await
        .unwrap();
    assert_eq!(receipt.status, Some(1), "{signature}");
    receipt.transaction_hash
}

/// The entity that the handler of the transaction's only log wrote (id: the transaction hash
/// and the log index 0 as i32, little-endian: graph-ts's `hash.concatI32(logIndex)`).
fn entity(store: &SqliteDeployment, entity_type: &str, tx: B256) -> Option<Entity> {
    let mut id = tx.to_vec();
    id.extend_from_slice(&0i32.to_le_bytes());
    store
        .get(&EntityKey {
            entity_type: entity_type.to_string(),
            id: Id::Bytes(id),
        })
        .unwrap()
}

/// The log lines of this test's thread (the indexer runs on it: `Indexer::run` is awaited by
/// the test body), as plain text.
struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    fn capture() -> Logs {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("warn,sprig::mapping=info")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        Logs {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The warning (it spans lines: the error's wasm backtrace comes before its end) that contains
/// `needle`.
fn warning_ending_with<'a>(logs: &'a str, needle: &str) -> &'a str {
    let end = logs
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in:\n{logs}"));
    let start = logs[..end].rfind(" WARN ").expect("a warning");
    &logs[start..end + needle.len()]
}

/// An HTTP proxy in front of the node that holds every `eth_call` for a fixed delay before
/// forwarding it (everything else passes straight through): a slow node, as the mapping sees it.
struct DelayingProxy {
    url: String,
    eth_calls: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl DelayingProxy {
    async fn start(upstream: &str, delay: Duration) -> DelayingProxy {
        use alloy::transports::http::reqwest;
        use axum::routing::post;

        let eth_calls = Arc::new(AtomicUsize::new(0));
        let (counter, upstream, http) = (
            eth_calls.clone(),
            upstream.to_string(),
            reqwest::Client::new(),
        );
        let app = axum::Router::new().route(
            "/",
            post(move |body: axum::body::Bytes| {
                let (counter, upstream, http) = (counter.clone(), upstream.clone(), http.clone());
                async move {
                    let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    if request["method"] == "eth_call" {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                    }
                    let answer = http
                        .post(&upstream)
                        .header("content-type", "application/json")
                        .body(body.to_vec())
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap();
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        answer.to_vec(),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        DelayingProxy {
            url,
            eth_calls,
            server,
        }
    }

    /// How many `eth_call`s arrived.
    fn eth_calls(&self) -> usize {
        self.eth_calls.load(Ordering::SeqCst)
    }
}

impl Drop for DelayingProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}
