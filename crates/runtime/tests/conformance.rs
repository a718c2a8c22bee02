//! The host API conformance suite: AssemblyScript mappings in `tests/conformance` (built by
//! graph-cli, wasm committed, `tests/conformance/build.sh`) call every host function with edge
//! cases and check exact results themselves. Every exported `test_*` function must return; a
//! mismatch aborts it with a message naming the case, which this test reports. Every `fails_*`
//! function must fail deterministically with the message in [`FAILURES`]. `README.md` there maps
//! the cases to graph-node's host API.

mod common;

use common::*;
use sprig_runtime::{ApiVersion, MappingModule, MappingRuntime};

const WASM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/build/Test/Test.wasm"
);

/// The same host functions at apiVersion 0.0.4 (AssemblyScript 0.6 memory layout, graph-ts 0.20).
const WASM_0_0_4: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/v0.0.4/build/Test/Test.wasm"
);

/// The deterministic error each `fails_*` function must end with (a part of its message).
const FAILURES: &[(&str, &str)] = &[
    ("fails_bigint_from_string_garbage", "12abc"),
    (
        "fails_bigint_divide_by_zero",
        "attempted to divide BigInt `1` by zero",
    ),
    (
        "fails_bigint_mod_by_zero",
        "attempted to calculate the remainder of `1` with a divisor of zero",
    ),
    ("fails_bigdecimal_divide_by_zero", "by zero"),
    ("fails_json_i64_overflow", "9223372036854775808"),
    ("fails_json_u64_negative", "-1"),
    ("fails_json_bigint_fraction", "1.5"),
    (
        "fails_string_to_h160_not_hex",
        "Failed to convert string to Address: '0xzz00000000000000000000000000000000000000'",
    ),
    (
        "fails_string_to_h160_short",
        "Failed to convert string to Address: '0x1234'",
    ),
    (
        "fails_string_to_h160_long",
        "Failed to convert string to Address: '0x000000000000000000000000000000000000000001'",
    ),
    (
        "fails_arweave_transaction_data",
        "`arweave.transactionData` has been removed.",
    ),
    ("fails_box_profile", "`box.profile` has been removed."),
    (
        "fails_log_critical",
        "Critical error logged in mapping with log message: stop at here",
    ),
];

fn exports(wasm: &[u8]) -> Vec<String> {
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, wasm).expect("the conformance mapping compiles");
    module.exports().map(|e| e.name().to_string()).collect()
}

fn load(wasm: &[u8], api_version: ApiVersion) -> MappingModule {
    MappingRuntime::new(config())
        .unwrap()
        .load("Test", wasm, api_version)
        .unwrap()
}

#[tokio::test]
async fn every_conformance_case_passes() {
    run_suite(WASM, ApiVersion::V0_0_9, FAILURES, 20).await;
}

/// The deterministic error each `fails_*` function of the apiVersion 0.0.4 suite must end with.
const FAILURES_0_0_4: &[(&str, &str)] = &[
    (
        "fails_bigint_divide_by_zero",
        "attempted to divide BigInt `1` by zero",
    ),
    ("fails_bigdecimal_divide_by_zero", "by zero"),
    ("fails_bigint_from_string_garbage", "12abc"),
    (
        "fails_log_critical",
        "Critical error logged in mapping with log message: stop at here",
    ),
    ("fails_json_i64_overflow", "9223372036854775808"),
    (
        "fails_string_to_h160_short",
        "Failed to convert string to Address: '0x1234'",
    ),
    ("fails_json_invalid", "Failed to parse JSON"),
];

#[tokio::test]
async fn every_conformance_case_passes_at_api_version_0_0_4() {
    run_suite(WASM_0_0_4, ApiVersion::V0_0_4, FAILURES_0_0_4, 15).await;
}

/// Runs every `test_*` and `fails_*` export of the mapping at `path`; at least `min_cases`.
async fn run_suite(
    path: &str,
    api_version: ApiVersion,
    failures: &[(&str, &str)],
    min_cases: usize,
) {
    let wasm = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let module = load(&wasm, api_version);
    let names = exports(&wasm);
    let mut problems = Vec::new();
    let mut ran = 0;
    for name in names.iter().filter(|n| n.starts_with("test_")) {
        let handler: &'static str = Box::leak(name.clone().into_boxed_str());
        ran += 1;
        if let Err(e) = Run::new(handler).on(&module).await.outcome {
            problems.push(format!("{name}: {e:#}"));
        }
    }
    for name in names.iter().filter(|n| n.starts_with("fails_")) {
        let Some((_, expected)) = failures.iter().find(|(n, _)| n == name) else {
            problems.push(format!("{name}: no expected failure in FAILURES"));
            continue;
        };
        let handler: &'static str = Box::leak(name.clone().into_boxed_str());
        ran += 1;
        match Run::new(handler).on(&module).await.outcome {
            Ok(_) => problems.push(format!("{name}: succeeded")),
            Err(e) if !e.is_deterministic() => {
                problems.push(format!("{name}: failed non-deterministically: {e:#}"))
            }
            Err(e) if !format!("{e:#}").contains(expected) => {
                problems.push(format!("{name}: expected `{expected}` in: {e:#}"))
            }
            Err(_) => {}
        }
    }
    for (name, _) in failures {
        if !names.iter().any(|n| n == name) {
            problems.push(format!("{name}: listed in FAILURES but not exported"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(ran >= min_cases, "only {ran} cases ran");
}
