// The host API conformance suite at apiVersion 0.0.4 (graph-ts 0.20, AssemblyScript 0.6: objects
// without headers, `memory.allocate`): the same host functions as ../src, through the older
// memory layout. Every exported `test_*` function must return, every `fails_*` one must fail
// deterministically (tests/conformance.rs says with what). AssemblyScript 0.6 turns only the entry
// file's own exports into wasm exports (`export *` is not enough), so each case is named here.
export { test_bigint_arithmetic, test_bigint_limits, test_bigdecimal, fails_bigint_divide_by_zero, fails_bigdecimal_divide_by_zero, fails_bigint_from_string_garbage } from "./numbers";
export { test_conversions, test_json, test_store_round_trip, test_data_source, test_log_levels, fails_log_critical, fails_json_i64_overflow, fails_string_to_h160_short, fails_json_invalid } from "./values";
