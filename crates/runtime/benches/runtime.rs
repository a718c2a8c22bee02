//! Criterion benchmarks of the mapping runtime (`cargo bench -p sprig-runtime`):
//!
//! - `metering/*`: fuel on vs off, on a wasm-only CPU kernel, a host-heavy Keccak/BigInt chain,
//!   and a transfer-like event handler (reads the event, writes one entity);
//! - `instantiate/*`: an empty handler (fresh instance, `_start`, trigger written, call, drop),
//!   pooling allocator vs on-demand;
//! - `load/*`: compiling the test mapping cold vs loading it from the compiled-module cache.
//!
//! The harness (test mapping, synthetic block, in-memory store) is the integration tests'.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::U256;
use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use sprig_runtime::{ApiVersion, MappingModule, MappingRuntime, MappingTrigger, RuntimeConfig};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn transfer() -> MappingTrigger {
    MappingTrigger::Event {
        log: Arc::new(log()),
        params: vec![
            ("from".to_string(), DynSolValue::Address(address(0xf1))),
            ("to".to_string(), DynSolValue::Address(address(0x02))),
            (
                "value".to_string(),
                DynSolValue::Uint(U256::from(1000u64), 256),
            ),
        ],
        block: Arc::new(block(12)),
        transaction: Some(Arc::new(transaction())),
        receipt: Some(Arc::new(receipt())),
    }
}

/// Times `iters` runs of `handler` on `module`, checking each succeeds.
fn run_handler(
    rt: &tokio::runtime::Runtime,
    module: &MappingModule,
    handler: &'static str,
    iters: u64,
) -> Duration {
    rt.block_on(async {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let run = if handler == "handleTransfer" {
                Run::new(handler).trigger(transfer())
            } else {
                Run::new(handler)
            };
            let started = Instant::now();
            let result = run.on(module).await;
            total += started.elapsed();
            assert!(result.outcome.is_ok(), "{handler}: {:?}", result.outcome);
        }
        total
    })
}

fn metering(c: &mut Criterion) {
    let rt = runtime();
    let metered = load(RuntimeConfig::default());
    let unmetered = load(RuntimeConfig {
        unmetered_for_benchmarks: true,
        ..RuntimeConfig::default()
    });
    let mut group = c.benchmark_group("metering");
    for handler in ["wasmKernel", "keccakChain", "handleTransfer"] {
        for (label, module) in [("fuel", &metered), ("no-fuel", &unmetered)] {
            group.bench_function(format!("{handler}/{label}"), |b| {
                b.iter_custom(|iters| run_handler(&rt, module, handler, iters))
            });
        }
    }
    group.finish();
}

fn instantiate(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("instantiate");
    for (label, pooling_allocator) in [("pooling", true), ("on-demand", false)] {
        let module = load(RuntimeConfig {
            pooling_allocator,
            ..RuntimeConfig::default()
        });
        group.bench_function(format!("noop/{label}"), |b| {
            b.iter_custom(|iters| run_handler(&rt, &module, "noop", iters))
        });
    }
    group.finish();
}

fn load_module(c: &mut Criterion) {
    let wasm = test_wasm();
    let dir = tempfile::tempdir().unwrap();
    let cached = RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..RuntimeConfig::default()
    };
    // Fill the cache.
    MappingRuntime::new(cached.clone())
        .unwrap()
        .load("Test", &wasm, ApiVersion::V0_0_9)
        .unwrap();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for (label, config) in [("compile", RuntimeConfig::default()), ("cached", cached)] {
        let runtime = MappingRuntime::new(config).unwrap();
        group.bench_function(label, |b| {
            b.iter(|| runtime.load("Test", &wasm, ApiVersion::V0_0_9).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, metering, instantiate, load_module);
criterion_main!(benches);
