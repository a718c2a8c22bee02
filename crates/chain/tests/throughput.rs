//! Throughput of `RpcClient` against anvil: blocks/s and logs/s. Ignored by default (it takes a
//! while and only means something in release mode):
//!
//! ```sh
//! cargo test --release -p sprig-chain --test throughput -- --ignored --nocapture --test-threads 1
//! ```
//!
//! Numbers are per run on a shared machine: compare medians of several runs, not single values.

mod support;

use std::time::{Duration, Instant};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use serde_json::{json, Value};
use sprig_chain::rpc::{RpcClient, RpcConfig};
use sprig_chain::testing::Anvil;
use support::proxy::{Proxy, Reply};
use support::{calldata, emitter_code, ping_topic};

const RUNS: usize = 5;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn client(anvil: &Anvil, concurrency: usize) -> RpcClient {
    RpcClient::connect_with(
        anvil.url(),
        RpcConfig {
            concurrency,
            ..Anvil::client_config()
        },
    )
    .unwrap()
}

/// Mines `blocks` blocks holding `txs_per_block` Emitter calls each, sent concurrently, each from
/// another unlocked account. Returns the range of the new blocks.
async fn fill_blocks(
    anvil: &Anvil,
    emitter: Address,
    blocks: u64,
    txs_per_block: usize,
    call: &str,
    arg: u64,
    gas: u64,
) -> std::ops::RangeInclusive<u64> {
    let gas = format!("{gas:#x}");
    let accounts = anvil.accounts().await.unwrap();
    assert!(
        accounts.len() >= txs_per_block,
        "one account per transaction of a block"
    );
    let data = calldata(call, &[U256::from(arg)]);
    let _: Value = anvil
        .request("evm_setAutomine", json!([false]))
        .await
        .unwrap();
    let first = anvil.block_number().await.unwrap() + 1;
    let provider = anvil.client().provider().clone();
    for _ in 0..blocks {
        let mut sent = tokio::task::JoinSet::new();
        for i in 0..txs_per_block {
            let tx = json!([{ "from": accounts[i % accounts.len()], "to": emitter, "input": data, "gas": gas }]);
            let provider = provider.clone();
            sent.spawn(async move {
                provider
                    .raw_request::<_, B256>("eth_sendTransaction".into(), tx)
                    .await
                    .unwrap()
            });
        }
        sent.join_all().await;
        let _: Value = anvil.request("evm_mine", json!([])).await.unwrap();
    }
    let last = anvil.block_number().await.unwrap();
    assert_eq!(last, first + blocks - 1);
    let pending: Value = anvil
        .request("eth_getBlockByNumber", json!(["pending", false]))
        .await
        .unwrap();
    assert_eq!(
        pending["transactions"].as_array().map_or(0, Vec::len),
        0,
        "all transactions mined"
    );
    let _: Value = anvil
        .request("evm_setAutomine", json!([true]))
        .await
        .unwrap();
    first..=first + blocks - 1
}

async fn measure_blocks(anvil: &Anvil, range: std::ops::RangeInclusive<u64>, label: &str) {
    let count = range.clone().count() as f64;
    for concurrency in [1, 4, 16, 64] {
        let client = client(anvil, concurrency);
        let mut rates = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let blocks = client.blocks(range.clone()).await.unwrap();
            rates.push(count / started.elapsed().as_secs_f64());
            assert_eq!(blocks.len() as f64, count);
        }
        println!(
            "{label}: blocks(), {concurrency:>2} in flight: {:>8.0} blocks/s (median of {RUNS})",
            median(rates)
        );
    }
    // Baseline: alloy's typed `get_block_by_number(..).full()`, with the same concurrency.
    let client = client(anvil, 16);
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let mut numbers = range.clone();
        let mut fetched = 0;
        loop {
            while tasks.len() < 16 {
                let Some(n) = numbers.next() else { break };
                let provider = client.provider().clone();
                tasks.spawn(async move {
                    provider
                        .get_block_by_number(BlockNumberOrTag::Number(n))
                        .full()
                        .await
                        .unwrap()
                        .unwrap()
                });
            }
            let Some(done) = tasks.join_next().await else {
                break;
            };
            done.unwrap();
            fetched += 1;
        }
        assert_eq!(fetched as f64, count);
        rates.push(count / started.elapsed().as_secs_f64());
    }
    println!(
        "{label}: alloy typed get_block_by_number(full), 16 in flight: {:>8.0} blocks/s",
        median(rates)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run in release mode with --ignored --nocapture"]
async fn blocks_per_second() {
    // One account per transaction of a block: transactions from one account sent concurrently
    // would race for the same nonce.
    let anvil = Anvil::spawn_with(&["--accounts", "20"]).unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();

    let first = anvil.block_number().await.unwrap() + 1;
    anvil.mine(5000).await.unwrap();
    measure_blocks(&anvil, first..=first + 4999, "5000 empty blocks").await;

    let started = Instant::now();
    let range = fill_blocks(&anvil, emitter, 500, 20, "ping(uint256)", 1, 100_000).await;
    println!("(mined 500 blocks x 20 txs in {:.1?})", started.elapsed());
    measure_blocks(&anvil, range.clone(), "500 blocks x 20 txs").await;

    // anvil serves full blocks slowly, so the numbers above are anvil's. The client's own
    // ceiling: a server that answers every request with the same stored 20-transaction block.
    let number = *range.start();
    let raw: Value = anvil
        .request(
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), true]),
        )
        .await
        .unwrap();
    let canned: std::sync::Arc<str> = raw.to_string().into();
    let server = Proxy::start(anvil.url(), move |_, _| Reply::Result(canned.clone())).await;
    let numbers = vec![number; 5000];
    for concurrency in [1, 16] {
        let client = RpcClient::connect_with(
            &server.url,
            RpcConfig {
                concurrency,
                ..Anvil::client_config()
            },
        )
        .unwrap();
        let mut rates = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            client.blocks_by_number(&numbers).await.unwrap();
            rates.push(numbers.len() as f64 / started.elapsed().as_secs_f64());
        }
        println!(
            "stored 20-tx block ({} bytes), {concurrency:>2} in flight: {:>8.0} blocks/s",
            raw.to_string().len(),
            median(rates)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run in release mode with --ignored --nocapture"]
async fn logs_per_second() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let started = Instant::now();
    // 200 blocks x 5 txs x 100 events = 100,000 logs.
    let range = fill_blocks(&anvil, emitter, 200, 5, "pingMany(uint256)", 100, 2_000_000).await;
    println!("(mined 100,000 logs in {:.1?})", started.elapsed());
    let client = client(&anvil, 16);

    for (label, addresses, topics) in [
        ("address + topic0 filter", vec![emitter], vec![ping_topic()]),
        ("no filter", vec![], vec![]),
    ] {
        let mut rates = Vec::new();
        let mut elapsed = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let logs = client
                .logs(range.clone(), &addresses, &topics)
                .await
                .unwrap();
            let took = started.elapsed();
            assert_eq!(logs.len(), 100_000);
            rates.push(logs.len() as f64 / took.as_secs_f64());
            elapsed.push(took.as_secs_f64());
        }
        println!(
            "logs(), 200 blocks, {label}: {:>8.0} logs/s ({:.2?} per 100k, median of {RUNS})",
            median(rates),
            Duration::from_secs_f64(median(elapsed))
        );
    }

    // Baseline: alloy's typed get_logs.
    let filter = alloy::rpc::types::Filter::new()
        .from_block(*range.start())
        .to_block(*range.end())
        .address(emitter);
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let logs = client.provider().get_logs(&filter).await.unwrap();
        rates.push(logs.len() as f64 / started.elapsed().as_secs_f64());
    }
    println!("alloy typed get_logs: {:>8.0} logs/s", median(rates));

    // The client's own ceiling: the same 100,000 logs from a server that has them stored.
    let raw: Value = anvil
        .request(
            "eth_getLogs",
            json!([{ "fromBlock": format!("{:#x}", range.start()), "toBlock": format!("{:#x}", range.end()) }]),
        )
        .await
        .unwrap();
    let canned: std::sync::Arc<str> = raw.to_string().into();
    let size = canned.len();
    let server = Proxy::start(anvil.url(), move |_, _| Reply::Result(canned.clone())).await;
    let client = RpcClient::connect_with(&server.url, Anvil::client_config()).unwrap();
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let logs = client.logs(range.clone(), &[], &[]).await.unwrap();
        assert_eq!(logs.len(), 100_000);
        rates.push(logs.len() as f64 / started.elapsed().as_secs_f64());
    }
    println!(
        "stored answer of 100,000 logs ({} MB): {:>8.0} logs/s",
        size / 1_000_000,
        median(rates)
    );
}
