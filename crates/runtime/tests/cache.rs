//! The on-disk cache of compiled modules.

mod common;

use std::time::Instant;

use common::*;
use sprig_runtime::{ApiVersion, CacheStatus, MappingRuntime, OptLevel, RuntimeConfig};

fn cached(dir: &std::path::Path) -> RuntimeConfig {
    RuntimeConfig {
        cache_dir: Some(dir.join("wasm-cache")),
        ..config()
    }
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("wasm-cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn second_load_hits_the_cache_and_runs_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = test_wasm();

    let started = Instant::now();
    let first = MappingRuntime::new(cached(dir.path()))
        .unwrap()
        .load("Test", &wasm, ApiVersion::V0_0_9)
        .unwrap();
    let compiled = started.elapsed();
    assert_eq!(first.cache_status(), CacheStatus::Miss);
    let files = entries(dir.path());
    assert_eq!(
        files.len(),
        1,
        "one entry, no temporary files left: {files:?}"
    );

    // A new runtime (a restart) with the same settings loads the entry.
    let started = Instant::now();
    let second = MappingRuntime::new(cached(dir.path()))
        .unwrap()
        .load("Test", &wasm, ApiVersion::V0_0_9)
        .unwrap();
    let loaded = started.elapsed();
    assert_eq!(second.cache_status(), CacheStatus::Hit);
    println!("compile + link {compiled:?}, cached load + link {loaded:?}");

    let a = Run::new("bigIntOps").on(&first).await;
    let b = Run::new("bigIntOps").on(&second).await;
    assert!(a.outcome.is_ok() && b.outcome.is_ok());
    assert_eq!(a.gas_used, b.gas_used);
    assert_eq!(load(config()).cache_status(), CacheStatus::Disabled);
}

#[tokio::test]
async fn settings_that_change_the_code_change_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = test_wasm();
    for (opt_level, expected) in [
        (OptLevel::Speed, CacheStatus::Miss),
        (OptLevel::None, CacheStatus::Miss),
        (OptLevel::Speed, CacheStatus::Hit),
    ] {
        let module = MappingRuntime::new(RuntimeConfig {
            opt_level,
            ..cached(dir.path())
        })
        .unwrap()
        .load("Test", &wasm, ApiVersion::V0_0_9)
        .unwrap();
        assert_eq!(module.cache_status(), expected, "{opt_level:?}");
    }
    assert_eq!(entries(dir.path()).len(), 2);
}

#[tokio::test]
async fn a_corrupt_entry_is_recompiled_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = test_wasm();
    let load = || {
        MappingRuntime::new(cached(dir.path()))
            .unwrap()
            .load("Test", &wasm, ApiVersion::V0_0_9)
            .unwrap()
    };
    assert_eq!(load().cache_status(), CacheStatus::Miss);
    let entry = entries(dir.path()).remove(0);

    // A flipped byte in the middle of the artifact.
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let module = load();
    assert_eq!(module.cache_status(), CacheStatus::Miss);
    assert!(Run::new("handleBlock").on(&module).await.outcome.is_ok());
    assert_eq!(
        load().cache_status(),
        CacheStatus::Hit,
        "the entry was rewritten"
    );

    // A truncated entry, and one that is not an artifact at all.
    for contents in [&bytes[..10], &[0u8; 100][..]] {
        std::fs::write(&entry, contents).unwrap();
        assert_eq!(load().cache_status(), CacheStatus::Miss);
        assert_eq!(load().cache_status(), CacheStatus::Hit);
    }
}

#[tokio::test]
async fn an_unwritable_cache_still_compiles() {
    let dir = tempfile::tempdir().unwrap();
    // The cache directory's path is taken by a file.
    std::fs::write(dir.path().join("wasm-cache"), b"not a directory").unwrap();
    let module = MappingRuntime::new(cached(dir.path()))
        .unwrap()
        .load("Test", &test_wasm(), ApiVersion::V0_0_9)
        .unwrap();
    assert_eq!(module.cache_status(), CacheStatus::Miss);
    assert!(Run::new("noop").on(&module).await.outcome.is_ok());
}

#[test]
fn invalid_wasm_is_an_error_with_or_without_cache() {
    let dir = tempfile::tempdir().unwrap();
    let error = MappingRuntime::new(cached(dir.path()))
        .unwrap()
        .load("Broken", b"\0asm\x01\0\0\0garbage", ApiVersion::V0_0_9)
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("mapping `Broken` is not a valid wasm module"),
        "{error:#}"
    );
}
