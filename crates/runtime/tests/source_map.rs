//! Source lines in backtraces: with an AssemblyScript source map for the wasm, trap and error
//! messages name `src/mapping.ts:line:column` for each frame, keeping the function names.
//!
//! `tests/wasm/source-map/` holds the test mapping compiled by asc with graph-cli's arguments plus
//! `--sourceMap` (`tests/wasm/build.sh`): graph-cli's code with a `sourceMappingURL` section
//! added, and `Test.wasm.map` beside it. Expected lines are found in the mapping's source, so an
//! edit to it does not break these tests.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use sprig_runtime::{ApiVersion, MappingModule, MappingRuntime, RuntimeConfig};

fn wasm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasm")
}

/// The asc build with its source map.
fn asc_build() -> PathBuf {
    wasm_dir().join("source-map/Test.wasm")
}

/// graph-cli's build: no `sourceMappingURL` section.
fn graph_cli_build() -> PathBuf {
    wasm_dir().join("build/Test/Test.wasm")
}

/// Loads through a compiled-module cache shared by the tests: the two builds are compiled once
/// each, however many times they are loaded.
fn load_file(path: &Path) -> MappingModule {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().unwrap());
    let wasm = std::fs::read(path).unwrap();
    let config = RuntimeConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..config()
    };
    MappingRuntime::new(config)
        .unwrap()
        .load_file("Test", &wasm, path, ApiVersion::V0_0_9)
        .expect("a mapping loads whatever its source map")
}

/// The message of a handler expected to fail deterministically.
async fn failure(module: &MappingModule, handler: &'static str) -> String {
    let result = Run::new(handler).on(module).await;
    let error = result.outcome.expect_err("the handler fails");
    assert!(error.is_deterministic(), "{error}");
    error.to_string()
}

/// `src/mapping.ts:N:` for the one line of the test mapping that contains `code`.
fn mapping_line(code: &str) -> String {
    let source = std::fs::read_to_string(wasm_dir().join("src/mapping.ts")).unwrap();
    let lines: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(code))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(lines.len(), 1, "{code:?} is on lines {lines:?}");
    format!("src/mapping.ts:{}:", lines[0])
}

/// Checks the frames of an abort, a stack overflow and a host error against the source.
async fn assert_frames_name_source_lines(module: &MappingModule) {
    let error = failure(module, "abortWithMessage").await;
    let frame = format!(
        "0: src/mapping/abortWithMessage ({}",
        mapping_line(r#"assert(false, "not true")"#)
    );
    assert!(error.contains(&frame), "missing {frame:?} in:\n{error}");

    // Frames of the recursion name the recursive call, and are still folded into one line.
    let error = failure(module, "deepRecursion").await;
    assert!(error.contains("call stack exhausted"), "{error}");
    let frame = format!(
        "src/mapping/recurse ({}",
        mapping_line("return recurse(n + 1) + 1;")
    );
    assert!(error.contains(&frame), "missing {frame:?} in:\n{error}");
    assert!(error.contains("(31 times)"), "{error}");

    // A host function's error: graph-ts's frame names graph-ts's source, the handler's its own.
    let error = failure(module, "divideByZero").await;
    assert!(error.contains("divide BigInt `1` by zero"), "{error}");
    assert!(
        error.contains(
            "0: ~lib/@graphprotocol/graph-ts/common/numbers/BigInt#div \
             (~lib/@graphprotocol/graph-ts/common/numbers.ts:"
        ),
        "{error}"
    );
    let frame = format!(
        "1: src/mapping/divideByZero ({}",
        mapping_line("BigInt.fromI32(1).div(BigInt.zero())")
    );
    assert!(error.contains(&frame), "missing {frame:?} in:\n{error}");
    let frames = error.split("wasm backtrace:").nth(1).unwrap();
    assert!(!frames.contains("(0x"), "an offset was left: {error}");
}

/// The asc build names its map in a `sourceMappingURL` section.
#[tokio::test]
async fn traps_name_assemblyscript_source_lines() {
    let module = load_file(&asc_build());
    assert_eq!(
        module.source_map_path(),
        Some(wasm_dir().join("source-map/Test.wasm.map").as_path())
    );
    assert_frames_name_source_lines(&module).await;
}

/// A map asc made fits graph-cli's build of the same source too (the code is the same bytes):
/// placed beside it as `<wasm>.map`, it is found without a section naming it.
#[tokio::test]
async fn a_map_beside_graph_clis_wasm_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("Test.wasm");
    std::fs::copy(graph_cli_build(), &wasm).unwrap();
    std::fs::copy(
        wasm_dir().join("source-map/Test.wasm.map"),
        dir.path().join("Test.wasm.map"),
    )
    .unwrap();
    let module = load_file(&wasm);
    assert_eq!(
        module.source_map_path(),
        Some(dir.path().join("Test.wasm.map").as_path())
    );
    assert_frames_name_source_lines(&module).await;
}

/// No map, a map that is not one, a map made for another module, or a section naming a map
/// that is not there: the mapping loads all the same and frames show wasm offsets.
#[tokio::test]
async fn missing_or_bad_maps_never_fail_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let graph_cli = dir.path().join("graph-cli/Test.wasm");
    let asc = dir.path().join("asc/Test.wasm");
    for file in [&graph_cli, &asc] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    }
    std::fs::copy(graph_cli_build(), &graph_cli).unwrap();
    std::fs::copy(asc_build(), &asc).unwrap();
    let beside = dir.path().join("graph-cli/Test.wasm.map");
    let map = std::fs::read_to_string(wasm_dir().join("source-map/Test.wasm.map")).unwrap();

    let cases: [(&str, &Path, Option<String>); 5] = [
        ("no map", &graph_cli, None),
        ("section naming a missing map", &asc, None),
        ("not JSON", &graph_cli, Some("{\"version\":3,".to_string())),
        (
            "not a source map",
            &graph_cli,
            Some(r#"{"version":3,"sources":[],"mappings":"!!"}"#.to_string()),
        ),
        (
            // Its code offsets run past the end of the module.
            "another module's map",
            &graph_cli,
            Some(map.replacen("\"mappings\":\"", "\"mappings\":\"gggggC,", 1)),
        ),
    ];
    for (case, wasm, map) in cases {
        match map {
            Some(map) => std::fs::write(&beside, map).unwrap(),
            None => {
                let _ = std::fs::remove_file(&beside);
            }
        }
        let module = load_file(wasm);
        assert_eq!(module.source_map_path(), None, "{case}");
        let error = failure(&module, "abortWithMessage").await;
        assert!(
            error.contains("0: src/mapping/abortWithMessage (0x"),
            "{case}: {error}"
        );
    }
}
