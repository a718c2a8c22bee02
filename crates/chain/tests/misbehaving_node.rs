//! `RpcClient` against nodes that limit, fail or lack things: a real anvil behind a proxy that
//! answers chosen requests itself, and a port nobody listens on.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sprig_chain::rpc::{CallOutcome, RpcClient, RpcConfig, RpcError};
use sprig_chain::testing::Anvil;
use sprig_value::BlockPtr;
use support::proxy::{log_range, Proxy, Reply};
use support::{calldata, emitter_code, transact};

fn rpc_error(err: &anyhow::Error) -> &RpcError {
    err.downcast_ref::<RpcError>()
        .unwrap_or_else(|| panic!("not an RpcError: {err:#}"))
}

/// Client settings with quick retries, so that failing tests fail fast.
fn quick(max_retries: u32) -> RpcConfig {
    RpcConfig {
        max_retries,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RpcConfig::default()
    }
}

fn method(request: &Value) -> &str {
    request["method"].as_str().unwrap_or_default()
}

/// How many blocks an `eth_getLogs` range spans.
fn blocks_in((from, to): (u64, u64)) -> u64 {
    to - from + 1
}

/// Infura's answer to a range with too many logs.
fn too_many_results() -> Reply {
    Reply::RpcError(json!({
        "code": -32005,
        "message": "query returned more than 10000 results. Try with this block range [0x1, 0x2].",
    }))
}

#[tokio::test]
async fn logs_range_is_split_when_the_node_says_too_many_results() {
    const MAX_RANGE: u64 = 8;
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    for n in 0..30 {
        transact(&anvil, emitter, "pingMany(uint256)", &[n % 3 + 1]).await;
        anvil.mine(n % 2).await.unwrap();
    }
    let head = anvil.block_number().await.unwrap();
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_getLogs" => {
            if blocks_in(log_range(&request["params"])) > MAX_RANGE {
                too_many_results()
            } else {
                Reply::Forward
            }
        }
        _ => Reply::Forward,
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(2)).unwrap();

    let logs = client.logs(0..=head, &[emitter], &[]).await.unwrap();
    let direct = anvil
        .client()
        .logs(0..=head, &[emitter], &[])
        .await
        .unwrap();
    assert_eq!(logs, direct);
    assert_eq!(logs.len(), 60);

    let ranges: Vec<(u64, u64)> = proxy.params("eth_getLogs").iter().map(log_range).collect();
    let refused = ranges.iter().filter(|r| blocks_in(**r) > MAX_RANGE).count();
    assert!(refused >= 1, "{ranges:?}");
    // Refusals are not retried as transport failures: each refused range is asked once, then
    // halved, and once a size works the rest goes in pieces of that size.
    assert!(
        ranges.len() < 2 * (head as usize) / MAX_RANGE as usize + 8,
        "{ranges:?}"
    );
    let mut covered: Vec<(u64, u64)> = ranges
        .iter()
        .copied()
        .filter(|r| blocks_in(*r) <= MAX_RANGE)
        .collect();
    covered.sort();
    assert_eq!(covered.first().unwrap().0, 0);
    assert_eq!(covered.last().unwrap().1, head);
    for pair in covered.windows(2) {
        assert_eq!(pair[1].0, pair[0].1 + 1, "gap or overlap in {covered:?}");
    }
}

#[tokio::test]
async fn logs_of_a_single_block_that_is_too_large_is_an_error() {
    let anvil = Anvil::spawn().unwrap();
    anvil.mine(3).await.unwrap();
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_getLogs" => too_many_results(),
        _ => Reply::Forward,
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(2)).unwrap();
    let err = client.logs(0..=3, &[], &[]).await.unwrap_err();
    assert!(
        matches!(rpc_error(&err), RpcError::Rpc { code: -32005, .. }),
        "{err:#}"
    );
    assert!(
        err.to_string().contains("query returned more than"),
        "{err:#}"
    );
    // 0..=3, 0..=1, 0..=0: halved down to one block, then given up.
    let ranges: Vec<_> = proxy.params("eth_getLogs").iter().map(log_range).collect();
    assert_eq!(ranges, [(0, 3), (0, 1), (0, 0)]);
}

#[tokio::test]
async fn transport_failures_and_rate_limits_are_retried() {
    let anvil = Anvil::spawn().unwrap();
    anvil.mine(2).await.unwrap();
    let proxy = Proxy::start(anvil.url(), |request, earlier| {
        match (method(request), earlier) {
            ("eth_blockNumber", 0) => Reply::Http(503, "upstream overloaded"),
            ("eth_blockNumber", 1) => Reply::Http(429, "slow down"),
            ("eth_blockNumber", 2) => Reply::RpcError(json!({
                "code": -32005,
                "message": "daily request count exceeded, request rate limited",
            })),
            _ => Reply::Forward,
        }
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(5)).unwrap();
    assert_eq!(client.latest_block_number().await.unwrap(), 2);
    assert_eq!(proxy.count("eth_blockNumber"), 4);
}

#[tokio::test]
async fn a_request_that_times_out_is_retried() {
    let anvil = Anvil::spawn().unwrap();
    let proxy = Proxy::start(anvil.url(), |request, earlier| {
        match (method(request), earlier) {
            ("eth_chainId", 0) => Reply::ForwardAfter(Duration::from_secs(2)),
            _ => Reply::Forward,
        }
    })
    .await;
    let config = RpcConfig {
        request_timeout: Duration::from_millis(300),
        ..quick(2)
    };
    let client = RpcClient::connect_with(&proxy.url, config).unwrap();
    assert_eq!(client.chain_id().await.unwrap(), 31337);
    assert_eq!(proxy.count("eth_chainId"), 2);
}

#[tokio::test]
async fn errors_that_retrying_cannot_fix_are_not_retried() {
    let anvil = Anvil::spawn().unwrap();
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_chainId" => Reply::Http(401, "invalid project id"),
        "eth_blockNumber" => {
            Reply::RpcError(json!({ "code": -32000, "message": "header not found" }))
        }
        _ => Reply::Forward,
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(5)).unwrap();

    let err = client.chain_id().await.unwrap_err();
    assert!(
        matches!(rpc_error(&err), RpcError::Http { status: 401, .. }),
        "{err:#}"
    );
    assert!(err.to_string().contains("check the API key"), "{err:#}");
    assert_eq!(proxy.count("eth_chainId"), 1);

    let err = client.latest_block_number().await.unwrap_err();
    assert!(
        matches!(rpc_error(&err), RpcError::Rpc { code: -32000, .. }),
        "{err:#}"
    );
    assert_eq!(proxy.count("eth_blockNumber"), 1);
}

#[tokio::test]
async fn a_revert_is_never_retried() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let number = anvil.block_number().await.unwrap();
    let block = anvil.client().block_by_number(number).await.unwrap();
    // A contract may revert with a message that reads like rate limiting; it is still a revert.
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_call" => Reply::RpcError(json!({
            "code": 3,
            "message": "execution reverted: rate limit exceeded",
            "data": "0x08c379a0",
        })),
        _ => Reply::Forward,
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(5)).unwrap();
    let outcome = client
        .call(emitter, calldata("count()", &[]), block.ptr())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        CallOutcome::Revert("execution reverted: rate limit exceeded".to_owned())
    );
    assert_eq!(proxy.count("eth_call"), 1);

    // The request itself: 50M gas, at the block's hash (EIP-1898).
    let params = &proxy.params("eth_call")[0];
    assert_eq!(params[0]["gas"], "0x2faf080");
    assert_eq!(params[1], json!({ "blockHash": block.hash }));
}

#[tokio::test]
async fn block_receipts_falls_back_to_one_request_per_transaction() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let ping = transact(&anvil, emitter, "ping(uint256)", &[1]).await;
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_getBlockReceipts" => Reply::RpcError(json!({
            "code": -32601,
            "message": "the method eth_getBlockReceipts does not exist/is not available",
        })),
        _ => Reply::Forward,
    })
    .await;
    let client = RpcClient::connect_with(&proxy.url, quick(2)).unwrap();
    let block = BlockPtr {
        number: ping.block_number,
        hash: ping.block_hash.0,
    };

    let receipts = client.block_receipts(block).await.unwrap();
    assert_eq!(receipts, std::slice::from_ref(&ping));
    assert_eq!(
        receipts,
        anvil.client().block_receipts(block).await.unwrap()
    );
    // The node's lack of the method is remembered.
    client.block_receipts(block).await.unwrap();
    assert_eq!(proxy.count("eth_getBlockReceipts"), 1);
    assert_eq!(proxy.count("eth_getTransactionReceipt"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn blocks_are_fetched_concurrently_and_returned_in_order() {
    let anvil = Anvil::spawn().unwrap();
    anvil.mine(40).await.unwrap();
    // Answers come back out of order: later blocks of each group of five are answered sooner.
    let proxy = Proxy::start(anvil.url(), |request, _| match method(request) {
        "eth_getBlockByNumber" => {
            let hex = request["params"][0].as_str().unwrap();
            let number = u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
            Reply::ForwardAfter(Duration::from_millis(10 * (5 - number % 5)))
        }
        _ => Reply::Forward,
    })
    .await;
    let config = RpcConfig {
        concurrency: 8,
        ..quick(2)
    };
    let client = RpcClient::connect_with(&proxy.url, config).unwrap();

    let blocks = client.blocks(1..=40).await.unwrap();
    let numbers: Vec<u64> = blocks.iter().map(|b| b.number).collect();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    assert_eq!(blocks, anvil.client().blocks(1..=40).await.unwrap());
    let in_flight = proxy.max_in_flight();
    assert!((2..=8).contains(&in_flight), "{in_flight} requests at once");
}

#[tokio::test]
async fn an_unreachable_node_fails_after_bounded_retries() {
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = RpcClient::connect_with(&format!("http://127.0.0.1:{port}"), quick(3)).unwrap();
    let started = Instant::now();
    let err = client.latest_block_number().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match rpc_error(&err) {
        RpcError::Unreachable {
            method, attempts, ..
        } => {
            assert_eq!(*method, "eth_blockNumber");
            assert_eq!(*attempts, 4);
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{port} is unreachable")),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}
