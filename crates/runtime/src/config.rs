//! Runtime settings, and the wasmtime engine configuration derived from them.
//!
//! Everything here that influences results (fuel costs, wasm features, NaN canonicalization,
//! stack size, optimisation level) is part of consensus: two indexers must use the same values
//! to reach the same results. Every such wasmtime setting is therefore set explicitly, never
//! left to a default that a wasmtime upgrade could change.

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::{
    Config, InstanceAllocationStrategy, OperatorCost, PoolingAllocationConfig, Strategy,
    VariableOperatorCost, WasmBacktraceDetails, WasmFeatures,
};

/// How the runtime runs mappings. Build one with `RuntimeConfig::default()` and override fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Fuel each trigger may use: wasm instructions executed, plus what host functions charge
    /// for their work. Running out is a deterministic error.
    ///
    /// Default: 10^10. On the machines Sprig was measured on, a tight AssemblyScript loop burns
    /// about 10^10 fuel per second (the `infinite_loop_runs_out_of_gas_within_a_second` test
    /// prints the rate), so an infinite loop stops after about a second, while real handlers use
    /// far less (the test mapping's block handler: about 3 × 10^4).
    pub gas_limit: u64,
    /// Wall-clock limit for a handler's own execution (time waiting on RPC for an
    /// `ethereum.call` does not count, but such a wait is itself bounded by this duration).
    /// Hitting it is a non-deterministic error: the block is retried, never failed.
    ///
    /// Checked at every fuel yield (about every 0.1 ms of wasm), which costs nothing
    /// measurable; epoch interruption cost 15-20% on CPU-bound wasm (NOTES.md). Not enforced
    /// with `unmetered_for_benchmarks`, which has no fuel yields.
    ///
    /// Default: `None`. Fuel already bounds how much work a handler does, so this only guards
    /// against a machine that is too slow or overloaded. RPC timeouts belong to the
    /// [`EthereumCalls`](crate::EthereumCalls) implementation.
    pub timeout: Option<Duration>,
    /// Largest linear memory a mapping may grow to, in bytes. Exceeding it is a deterministic
    /// error naming the limit.
    ///
    /// Default: 512 MiB. The AssemblyScript stub runtime graph-cli uses never frees memory
    /// within a trigger, so a busy handler's garbage accumulates; real mappings stay in the low
    /// tens of MiB, and 512 MiB keeps the worst case of many concurrent triggers bounded.
    pub max_memory_bytes: usize,
    /// Largest wasm stack, in bytes. Where a deep recursion fails depends on it (and on the
    /// wasmtime version and optimisation level), so it is consensus-relevant.
    ///
    /// Default: 512 KiB, graph-node's `GRAPH_RUNTIME_MAX_STACK_SIZE`.
    pub max_wasm_stack: usize,
    /// Cranelift optimisation level: compile time against run time.
    ///
    /// Default: [`OptLevel::Speed`], as graph-node. Stack frame sizes, and so where a deep
    /// recursion overflows, depend on it: indexers that must agree must use the same level.
    pub opt_level: OptLevel,
    /// Directory of the compiled-module cache: a mapping compiled once is loaded from here on
    /// the next start instead of being compiled again (entries are keyed by the wasm bytes, the
    /// wasmtime version and every setting that shapes the code; stale entries are simply never
    /// read again). Created on first use.
    ///
    /// Default: `None` (always compile). The CLI should point it at a directory beside the
    /// database, e.g. `<data dir>/wasm-cache`.
    pub cache_dir: Option<PathBuf>,
    /// Whether instances come from wasmtime's pooling allocator, with copy-on-write memory
    /// images (runtime.md measured ~7-10 us per instantiation against ~21 us on demand).
    ///
    /// Default: `true`. The pool reserves address space (not memory) for
    /// `POOL_INSTANCES` (256) linear memories up front; turn it off where virtual memory is
    /// restricted (e.g. a small `ulimit -v`). Not consensus-relevant.
    pub pooling_allocator: bool,
    /// Turns gas metering off: no fuel is counted, `gas_limit` is ignored and handlers are not
    /// bounded. Only for measuring what metering costs (the crate's benchmarks); never for
    /// indexing, whose results depend on gas.
    #[doc(hidden)]
    pub unmetered_for_benchmarks: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            gas_limit: 10_000_000_000,
            timeout: None,
            max_memory_bytes: 512 << 20,
            max_wasm_stack: 512 << 10,
            opt_level: OptLevel::Speed,
            cache_dir: None,
            pooling_allocator: true,
            unmetered_for_benchmarks: false,
        }
    }
}

/// Cranelift optimisation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OptLevel {
    /// Fastest compilation; suits a mapping that runs a handful of times.
    None,
    /// Fastest code.
    #[default]
    Speed,
    /// Fast and small code.
    SpeedAndSize,
}

/// Fuel is consumed in chunks of this size between yields to the async executor, so that a
/// long handler never holds a tokio worker for more than about half a millisecond.
pub(crate) const FUEL_YIELD_INTERVAL: u64 = 1_000_000;

/// How many instances may be alive at once per runtime (one per running trigger). Each slot
/// reserves address space (not memory) for a full 4 GiB linear memory, so this stays modest.
const POOL_INSTANCES: u32 = 256;

/// Host functions run on the same fiber stack as wasm: this much room is kept for them above
/// the wasm stack limit.
const HOST_STACK_BYTES: usize = 1 << 20;

/// Wasm table elements allowed per instance (AssemblyScript's function table holds one entry
/// per function used indirectly, typically hundreds).
pub(crate) const MAX_TABLE_ELEMENTS: usize = 100_000;

impl RuntimeConfig {
    /// Sprig's settings that shape compiled code, for the compiled-module cache key. wasmtime's
    /// own compatibility hash already covers the engine configuration derived from them; they
    /// are added so that the key does not depend on that.
    pub(crate) fn codegen_settings(&self) -> String {
        format!(
            "opt_level={:?};fuel={};pooling={};max_wasm_stack={};max_memory_bytes={};\
             fuel_costs={:?}",
            self.opt_level,
            !self.unmetered_for_benchmarks,
            self.pooling_allocator,
            self.max_wasm_stack,
            self.max_memory_bytes,
            operator_cost(),
        )
    }

    /// The wasmtime configuration for these settings.
    pub(crate) fn engine_config(&self) -> anyhow::Result<Config> {
        anyhow::ensure!(self.gas_limit > 0, "gas_limit must be positive");
        anyhow::ensure!(self.max_wasm_stack > 0, "max_wasm_stack must be positive");
        anyhow::ensure!(
            self.max_memory_bytes >= 1 << 16,
            "max_memory_bytes must allow at least one 64 KiB wasm page"
        );
        if let Some(timeout) = self.timeout {
            anyhow::ensure!(!timeout.is_zero(), "timeout must be positive");
        }

        let mut config = Config::new();
        config
            .strategy(Strategy::Cranelift)
            .cranelift_opt_level(match self.opt_level {
                OptLevel::None => wasmtime::OptLevel::None,
                OptLevel::Speed => wasmtime::OptLevel::Speed,
                OptLevel::SpeedAndSize => wasmtime::OptLevel::SpeedAndSize,
            })
            // A NaN produced by float arithmetic gets the same bits on every CPU.
            .cranelift_nan_canonicalization(true)
            .consume_fuel(!self.unmetered_for_benchmarks)
            .operator_cost(operator_cost())
            // The timeout is checked at fuel yields instead (`clock`): epoch checks in the code
            // cost 15-20% on CPU-bound wasm.
            .epoch_interruption(false)
            .max_wasm_stack(self.max_wasm_stack)
            .async_stack_size(self.max_wasm_stack + HOST_STACK_BYTES)
            .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(32))
            // Frames are named from the name section (graph-cli builds with `--debug`); DWARF
            // line details would need debug info graph-cli does not emit.
            .wasm_backtrace_details(WasmBacktraceDetails::Disable)
            .generate_address_map(true)
            .parallel_compilation(true);
        set_wasm_features(&mut config);

        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(POOL_INSTANCES)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES)
            .total_stacks(POOL_INSTANCES)
            .total_component_instances(0)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .table_elements(MAX_TABLE_ELEMENTS)
            .max_memory_size(self.max_memory_bytes.min(4 << 30))
            // A handler touches its memory; keeping the first pages resident makes reuse of a
            // slot cheap (runtime.md: ~10 us instead of ~52 us per instantiation).
            .linear_memory_keep_resident(64 << 10)
            .table_keep_resident(64 << 10);
        if self.pooling_allocator {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        } else {
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
        }
        config.memory_init_cow(true);
        Ok(config)
    }
}

/// Exactly the wasm features AssemblyScript 0.19 output (what graph-cli emits) needs, and
/// nothing that could behave differently between machines. graph-node accepts the same set
/// (wasm MVP + sign extension + mutable globals, what parity-wasm parses).
fn set_wasm_features(config: &mut Config) {
    config
        .wasm_features(WasmFeatures::all(), false)
        // Wasm 1.0 (floats, mutable globals) plus sign extension. `GC_TYPES`, which wasmparser
        // counts as MVP, only gates GC reference types (not `funcref`) and stays off: this
        // wasmtime build has no GC.
        .wasm_features(WasmFeatures::FLOATS, true)
        .wasm_features(WasmFeatures::MUTABLE_GLOBAL, true)
        .wasm_features(WasmFeatures::SIGN_EXTENSION, true)
        // Spelled out too, so each decision is visible. Some have no `Config` method in this
        // build (their wasmtime cargo feature is off).
        .wasm_features(WasmFeatures::GC_TYPES, false)
        .wasm_features(WasmFeatures::SATURATING_FLOAT_TO_INT, false)
        .wasm_features(WasmFeatures::THREADS, false)
        .wasm_features(WasmFeatures::REFERENCE_TYPES, false)
        .wasm_features(WasmFeatures::FUNCTION_REFERENCES, false)
        .wasm_features(WasmFeatures::EXCEPTIONS, false)
        .wasm_features(WasmFeatures::COMPONENT_MODEL, false)
        .wasm_features(WasmFeatures::LEGACY_EXCEPTIONS, false)
        .wasm_shared_everything_threads(false)
        .wasm_simd(false)
        .wasm_relaxed_simd(false)
        .relaxed_simd_deterministic(true)
        .wasm_bulk_memory(false)
        .wasm_gc(false)
        .wasm_multi_value(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .wasm_stack_switching(false);
}

/// Operators that cost no fuel: they generate no code (`nop`, `drop`) or only structure control
/// flow (`block`, `loop`, `else`, `end`), or end execution (`unreachable`, `return`). `if`,
/// `br_if` and the other branches cost 1 (they test a condition). These are wasmtime 48's
/// defaults, written out so that an upgrade cannot change them.
const FREE_OPERATORS: [&str; 8] = [
    "Nop",
    "Drop",
    "Block",
    "Loop",
    "Unreachable",
    "Return",
    "Else",
    "End",
];

/// The fuel cost of each operator, spelled out rather than taken from wasmtime's defaults:
/// 0 for [`FREE_OPERATORS`], 1 for every other operator, and the per-size costs below. Golden
/// tests assert exact fuel counts, so a change here (or a wasmtime upgrade that adds operators
/// or changes how fuel is counted) fails loudly instead of silently moving where handlers run
/// out of gas.
pub(crate) fn operator_cost() -> OperatorCost {
    // `OperatorCost` has one public field per wasm operator (hundreds, generated from
    // wasmparser's operator list); it is serde-serializable, which lets every field be set by
    // name without listing them all here.
    let mut table = serde_json::to_value(OperatorCost::new()).expect("OperatorCost serializes");
    let fields = table
        .as_object_mut()
        .expect("OperatorCost serializes as a map");
    for (operator, cost) in fields.iter_mut() {
        if operator != "variable" {
            *cost = u8::from(!FREE_OPERATORS.contains(&operator.as_str())).into();
        }
    }
    let mut cost: OperatorCost =
        serde_json::from_value(table).expect("OperatorCost deserializes what it serialized");
    // A struct literal: a field added by a wasmtime upgrade fails to compile here.
    cost.variable = VariableOperatorCost {
        memory_copy_per_byte: 1,
        memory_fill_per_byte: 1,
        memory_init_per_byte: 1,
        // Memory size is bounded by the limiter, not by fuel.
        memory_grow_per_page: 0,
        table_copy_per_element: 1,
        table_fill_per_element: 1,
        table_init_per_element: 1,
        table_grow_per_element: 1,
        array_copy_per_element: 1,
        array_fill_per_element: 1,
        array_new_data_per_element: 1,
        array_init_data_per_element: 1,
        array_new_elem_per_element: 1,
        array_init_elem_per_element: 1,
        array_new_default_per_element: 1,
        array_new_per_element: 1,
    };
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The explicit table is what wasmtime 48 uses by default, so the golden fuel counts
    /// measured before it was spelled out still hold. A wasmtime upgrade that changes its
    /// defaults fails this test, while Sprig's table stays as it is.
    #[test]
    fn operator_costs_are_wasmtime_48_defaults() {
        let cost = operator_cost();
        assert_eq!(cost, OperatorCost::new());
        assert_eq!(
            (cost.Nop, cost.End, cost.If, cost.BrIf, cost.I32Add),
            (0, 0, 1, 1, 1)
        );
        assert_eq!(cost.variable.memory_grow_per_page, 0);
    }
}
