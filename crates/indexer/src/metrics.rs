//! Counters of one indexing process for monitoring: calls, gas and failures per handler, blocks
//! processed and the last committed block, rendered in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// What one handler has done in this process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandlerStats {
    /// Runs, failed ones included.
    pub calls: u64,
    /// Gas (wasmtime fuel) used by all runs.
    pub gas: u64,
    /// Runs that ended in an error (deterministic or not).
    pub failures: u64,
}

/// The indexer's counters; shared with whoever reports them (`sprig dev` serves `/metrics`).
#[derive(Debug, Default)]
pub struct Metrics {
    /// By (data source or template, handler).
    handlers: Mutex<BTreeMap<(String, String), HandlerStats>>,
    blocks: AtomicU64,
    head: AtomicU64,
}

impl Metrics {
    /// Records one handler run.
    pub fn record_handler(&self, data_source: &str, handler: &str, gas: u64, failed: bool) {
        let mut handlers = self.handlers.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = handlers
            .entry((data_source.to_string(), handler.to_string()))
            .or_default();
        stats.calls += 1;
        stats.gas += gas;
        stats.failures += u64::from(failed);
    }

    /// Records progress: `blocks` processed so far by this process, `head` the last committed.
    pub fn set_progress(&self, blocks: u64, head: u64) {
        self.blocks.store(blocks, Ordering::Relaxed);
        self.head.store(head, Ordering::Relaxed);
    }

    /// Each handler's counters, by (data source, handler).
    pub fn handlers(&self) -> BTreeMap<(String, String), HandlerStats> {
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The counters in Prometheus' text exposition format, labelled with `subgraph`.
    pub fn render(&self, subgraph: &str) -> String {
        let subgraph = escape(subgraph);
        let mut out = String::new();
        let handlers = self.handlers();
        for (name, help, value) in [
            (
                "sprig_handler_calls_total",
                "Handler runs, failed ones included.",
                (|s: &HandlerStats| s.calls) as fn(&HandlerStats) -> u64,
            ),
            (
                "sprig_handler_gas_total",
                "Gas (wasmtime fuel) used by handler runs.",
                |s| s.gas,
            ),
            (
                "sprig_handler_failures_total",
                "Handler runs that ended in an error.",
                |s| s.failures,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((data_source, handler), stats) in &handlers {
                let _ = writeln!(
                    out,
                    "{name}{{subgraph=\"{subgraph}\",data_source=\"{}\",handler=\"{}\"}} {}",
                    escape(data_source),
                    escape(handler),
                    value(stats)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP sprig_blocks_processed_total Blocks processed, with or without triggers.\n\
             # TYPE sprig_blocks_processed_total counter\n\
             sprig_blocks_processed_total{{subgraph=\"{subgraph}\"}} {}\n\
             # HELP sprig_head_block The last committed block.\n\
             # TYPE sprig_head_block gauge\n\
             sprig_head_block{{subgraph=\"{subgraph}\"}} {}",
            self.blocks.load(Ordering::Relaxed),
            self.head.load(Ordering::Relaxed)
        );
        out
    }
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::default();
        metrics.record_handler("Token", "handleTransfer", 100, false);
        metrics.record_handler("Token", "handleTransfer", 50, true);
        metrics.record_handler("Pair\"x", "handleSync", 7, false);
        metrics.set_progress(12, 41);
        let text = metrics.render("uniswap/v2");
        for line in [
            "sprig_handler_calls_total{subgraph=\"uniswap/v2\",data_source=\"Token\",handler=\"handleTransfer\"} 2",
            "sprig_handler_gas_total{subgraph=\"uniswap/v2\",data_source=\"Token\",handler=\"handleTransfer\"} 150",
            "sprig_handler_failures_total{subgraph=\"uniswap/v2\",data_source=\"Token\",handler=\"handleTransfer\"} 1",
            "sprig_handler_gas_total{subgraph=\"uniswap/v2\",data_source=\"Pair\\\"x\",handler=\"handleSync\"} 7",
            "sprig_blocks_processed_total{subgraph=\"uniswap/v2\"} 12",
            "sprig_head_block{subgraph=\"uniswap/v2\"} 41",
            "# TYPE sprig_handler_gas_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
    }
}
