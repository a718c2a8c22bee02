//! A long handler yields to the async executor as it burns fuel, so that it never holds a thread
//! other tasks need: here, on a single-threaded runtime, a ticking task keeps running while the
//! handler loops.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use sprig_runtime::RuntimeConfig;

/// Fuel for the handler's infinite loop: ~0.3 s at the ~10^10 fuel per second measured on the
/// development machine. Only the order of magnitude matters; the assertions scale with the
/// duration measured.
const GAS: u64 = 3_000_000_000;

#[tokio::test(flavor = "current_thread")]
async fn a_long_handler_lets_other_tasks_on_the_same_thread_run() {
    let module = load(RuntimeConfig {
        gas_limit: GAS,
        ..config()
    });
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = tokio::spawn({
        let (ticks, stop) = (ticks.clone(), stop.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                ticks.lock().unwrap().push(Instant::now());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    // The ticker has not run yet: this task has not given up the thread since spawning it.
    let started = Instant::now();
    let result = Run::new("infiniteLoop").on(&module).await;
    let finished = Instant::now();
    stop.store(true, Ordering::Relaxed);
    ticker.await.unwrap();

    let error = result.outcome.expect_err("the loop runs out of gas");
    assert!(error.to_string().contains("out of gas"), "{error}");
    let ran = finished - started;
    let ticks: Vec<Instant> = ticks
        .lock()
        .unwrap()
        .iter()
        .copied()
        .filter(|t| *t <= finished)
        .collect();
    // Without yielding the ticker would not have run once before the handler ended.
    assert!(
        ticks.len() >= 10,
        "{} ticks while the handler ran {ran:?}",
        ticks.len()
    );
    // And it kept running throughout: no gap between ticks (or before the first one) is a large
    // part of the handler's run.
    let mut previous = started;
    for tick in &ticks {
        let gap = *tick - previous;
        assert!(
            gap < ran / 4,
            "the ticker waited {gap:?} of the handler's {ran:?}"
        );
        previous = *tick;
    }
    assert!(finished - previous < ran / 4);
}
