//! What guarding a handler's wall clock costs (`cargo bench -p sprig-runtime --bench
//! timeout_guard`): each handler run with no timeout (`none`) and with one (`timeout`, far above
//! the run, so nothing expires).
//!
//! The timeout is checked each time the run's future is polled, that is at every fuel yield
//! (every `FUEL_YIELD_INTERVAL` units of fuel) and after a host function's I/O; before, it was
//! epoch interruption (an epoch check in every function entry and loop header, a ticker thread),
//! measured with this benchmark at 1.15-1.22x of `none` on the wasm-only kernel (NOTES.md).
//!
//! The machine is shared and its load moves, so the variants are interleaved run by run (not
//! timed one after the other as criterion does) and each is reported as the median of its runs,
//! with its ratio to `none`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use sprig_runtime::{MappingModule, RuntimeConfig};

/// Runs per variant and handler; with the batching below, a few seconds in all.
const ROUNDS: usize = 400;

fn main() {
    // `cargo bench` passes `--bench` (and `cargo test --benches` nothing): only measure when
    // benchmarking, so that `cargo test --all-targets` does not spend seconds here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let unguarded = load(RuntimeConfig::default());
    let guarded = load(RuntimeConfig {
        timeout: Some(Duration::from_secs(60)),
        ..RuntimeConfig::default()
    });
    println!(
        "RUST_BACKTRACE={}",
        std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "unset".to_string())
    );
    // Runs timed together, so that short handlers are not lost in timer resolution.
    for (handler, batch) in [
        ("wasmKernel", 1),
        ("keccakChain", 4),
        ("handleTransfer", 20),
    ] {
        let mut samples = [Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            samples[0].push(rt.block_on(time(&unguarded, handler, batch)));
            samples[1].push(rt.block_on(time(&guarded, handler, batch)));
        }
        let medians = samples.map(|mut s| {
            s.sort_unstable();
            s[s.len() / 2] / batch
        });
        for (label, median) in ["none", "timeout"].iter().zip(medians) {
            println!(
                "{handler}/{label}: median {median:?}, {:.3}x of none",
                median.as_secs_f64() / medians[0].as_secs_f64()
            );
        }
    }
}

/// Times `batch` runs of `handler`.
async fn time(module: &MappingModule, handler: &'static str, batch: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..batch {
        let run = match handler {
            "handleTransfer" => Run::new(handler).trigger(transfer()),
            _ => Run::new(handler),
        };
        let result = run.on(module).await;
        assert!(result.outcome.is_ok(), "{handler}: {:?}", result.outcome);
    }
    started.elapsed()
}
