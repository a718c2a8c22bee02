//! Timing of the fixed costs: compiling the test mapping and running an empty handler
//! (instantiate, `_start`, write the block, call, drop). Ignored by default; run with
//! `cargo test --release -p sprig-runtime --test measure -- --ignored --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sprig_runtime::{ApiVersion, MappingRuntime, OptLevel, RuntimeConfig};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
#[ignore]
async fn measure_compile_and_empty_handler() {
    let wasm = test_wasm();
    for opt_level in [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize] {
        let runtime = MappingRuntime::new(RuntimeConfig {
            opt_level,
            ..RuntimeConfig::default()
        })
        .unwrap();
        let compile: Vec<Duration> = (0..5)
            .map(|_| {
                let started = Instant::now();
                runtime.load("Test", &wasm, ApiVersion::V0_0_9).unwrap();
                started.elapsed()
            })
            .collect();
        let module = runtime.load("Test", &wasm, ApiVersion::V0_0_9).unwrap();
        // `wasmKernel` is wasm-only CPU work (~1 ms), where code quality shows most.
        for (handler, count) in [
            ("noop", 2000),
            ("handleBlock", 2000),
            ("bigIntOps", 2000),
            ("wasmKernel", 200),
        ] {
            let mut runs = Vec::new();
            for _ in 0..count {
                let started = Instant::now();
                let result = Run::new(handler).on(&module).await;
                runs.push(started.elapsed());
                assert!(result.outcome.is_ok());
            }
            println!(
                "{opt_level:?}: compile {:?} (median of 5), {handler} {:?} per trigger (median of \
                 {count})",
                median(compile.clone()),
                median(runs)
            );
        }
    }
}
