//! `ipfs.map` against a real IPFS gateway (Helia on loopback, `sprig_ipfs::testing::Gateway`):
//! the test mapping's `ipfsMap` handler maps a file with its `storeLine` callback, which stores an
//! `Output` per JSON line; the context names the file, callback, user data and flag.

mod common;

use std::time::Duration;

use common::{entity, key, list, load_with_ipfs, strings, Run};
use sprig_ipfs::testing::{Gateway, Layout};
use sprig_ipfs::IpfsClient;
use sprig_runtime::{HandlerResult, IpfsSettings, MappingModule, RuntimeConfig};
use sprig_store::{EntityModification, EntityWrite};
use sprig_value::{Entity, Value};

/// The test mapping with the gateway, `config` and `settings` applied to its IPFS settings.
fn module(
    gateway: &Gateway,
    config: RuntimeConfig,
    settings: impl FnOnce(&mut IpfsSettings),
) -> MappingModule {
    let client = IpfsClient::new(gateway.url(), Duration::from_secs(30)).unwrap();
    let mut ipfs = IpfsSettings::new(client);
    settings(&mut ipfs);
    load_with_ipfs(config, Some(ipfs))
}

/// The `ipfsMap` handler's context: map `cid` with `callback` and `flag`, then look for
/// `Output(expect)`.
fn context(cid: &str, callback: &str, flag: &str, expect: &str) -> Entity {
    [
        ("cid", cid),
        ("callback", callback),
        ("userData", "tag"),
        ("flag", flag),
        ("expect", expect),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
    .collect()
}

/// The ids of the entities set, in the order of the write log (what the proof of indexing
/// hashes).
fn written_ids(result: &mut HandlerResult) -> Vec<String> {
    result
        .state
        .cache
        .take_writes()
        .into_iter()
        .map(|write| match write {
            EntityWrite::Set { key, .. } => key.id.to_string(),
            EntityWrite::Remove { key } => panic!("removed {key}"),
        })
        .collect()
}

async fn map(module: &MappingModule, context: Entity) -> HandlerResult {
    Run::new("ipfsMap").context(context).on(module).await
}

/// Runs `ipfsMap` and expects it to fail; the error text and whether it is deterministic.
async fn map_fails(module: &MappingModule, context: Entity) -> (String, bool, HandlerResult) {
    let mut result = map(module, context).await;
    match std::mem::replace(&mut result.outcome, Ok(Default::default())) {
        Ok(_) => panic!("ipfsMap succeeded"),
        Err(e) => (e.to_string(), e.is_deterministic(), result),
    }
}

/// Each line's callback runs with the user data in a fresh instance, and the handler's state
/// gets every callback's writes, in line order (a later line's write of the same id wins), in
/// time for the handler to load them right after the call. Empty lines are skipped, the last
/// line needs no newline, and the file may span several blocks.
#[tokio::test]
async fn the_callbacks_entities_are_merged_into_the_handler() {
    let gateway = Gateway::spawn().unwrap();
    let module = module(&gateway, common::config(), |_| {});
    let file = concat!(
        "{\"id\": \"line-1\", \"name\": \"one\", \"n\": 1}\n",
        "\n",
        "{\"id\": \"line-3\", \"name\": \"three\", \"n\": 3}\n",
        "{\"id\": \"line-1\", \"name\": \"again\", \"n\": 4}",
    );
    let layout = Layout {
        cid_version: 0,
        raw_leaves: false,
        chunk_size: 32,
    };
    let cid = gateway.add(file.as_bytes(), layout).await.unwrap();

    let mut result = map(&module, context(&cid, "storeLine", "json", "line-3")).await;
    if let Err(e) = &result.outcome {
        panic!("ipfsMap failed: {e}");
    }
    let line = |result: &mut HandlerResult, id: &str| {
        let o = entity(result, "Output", id);
        (strings(&o, "strings"), list(&o, "ints"))
    };
    assert_eq!(
        line(&mut result, "line-1"),
        (vec!["tag".into(), "again".into()], vec![Value::Int(4)])
    );
    assert_eq!(
        line(&mut result, "line-3"),
        (vec!["tag".into(), "three".into()], vec![Value::Int(3)])
    );
    let handler = entity(&mut result, "Output", "ipfsMap");
    assert_eq!(strings(&handler, "strings"), ["before"]);
    assert_eq!(list(&handler, "bools"), [Value::Bool(true)]);

    // The write log (what the proof of indexing hashes) has the callbacks' writes where the
    // handler made the call.
    let written = written_ids(&mut result);
    assert_eq!(
        written,
        ["ipfsMap", "line-1", "line-3", "line-1", "ipfsMap"]
    );
    let inserted: Vec<String> = result
        .state
        .cache
        .into_modifications()
        .unwrap()
        .into_iter()
        .map(|m| match m {
            EntityModification::Insert { key, .. } => key.id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(inserted, ["ipfsMap", "line-1", "line-3"]);

    // An empty file runs no callback.
    let empty = gateway.add(b"", Layout::default()).await.unwrap();
    let mut result = map(&module, context(&empty, "storeLine", "json", "line-1")).await;
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    let handler = entity(&mut result, "Output", "ipfsMap");
    assert_eq!(list(&handler, "bools"), [Value::Bool(false)]);
    assert_eq!(
        result.state.cache.get(&key("Output", "line-1")).unwrap(),
        None
    );
}

/// A callback that fails makes `ipfs.map` fail deterministically, naming the callback and the
/// line, and the handler's writes (its own and the earlier callbacks') are all discarded.
#[tokio::test]
async fn a_failing_callback_fails_the_handler() {
    let gateway = Gateway::spawn().unwrap();
    let module = module(&gateway, common::config(), |_| {});
    let file = "{\"id\": \"a\", \"name\": \"a\", \"n\": 1}\n{\"id\": \"b\", \"fail\": true}\n";
    let cid = gateway
        .add(file.as_bytes(), Layout::default())
        .await
        .unwrap();

    let (error, deterministic, result) =
        map_fails(&module, context(&cid, "storeLine", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains(&format!(
            "ipfs.map(`{cid}`): callback `storeLine` failed on line 2"
        )),
        "{error}"
    );
    assert!(error.contains("the line asks to fail"), "{error}");
    assert!(result.state.cache.into_modifications().unwrap().is_empty());

    // A callback the mapping does not export.
    let (error, deterministic, _) =
        map_fails(&module, context(&cid, "noSuchCallback", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("callback `noSuchCallback` failed on line 1")
            && error.contains("no callback export `noSuchCallback`"),
        "{error}"
    );
}

/// What the file or the call decides is deterministic: a line that is not JSON (after the
/// callbacks of the lines before it ran), flags without "json", an invalid CID, a file over
/// the limit. Without a gateway, the call halts indexing instead.
#[tokio::test]
async fn bad_files_and_flags_are_deterministic_errors() {
    let gateway = Gateway::spawn().unwrap();
    let module = module(&gateway, common::config(), |_| {});
    let file = "{\"id\": \"a\", \"name\": \"a\", \"n\": 1}\n{\"id\": \"b\",\n";
    let cid = gateway
        .add(file.as_bytes(), Layout::default())
        .await
        .unwrap();

    let (error, deterministic, _) =
        map_fails(&module, context(&cid, "storeLine", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains(&format!("ipfs.map(`{cid}`): line 2 is not valid JSON")),
        "{error}"
    );
    assert!(
        error.contains("EOF while parsing a value at column 11: `{\"id\": \"b\",`"),
        "{error}"
    );

    let (error, deterministic, _) =
        map_fails(&module, context(&cid, "storeLine", "yaml", "a")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("the flags must contain 'json', got [\"yaml\"]"),
        "{error}"
    );

    let (error, deterministic, _) =
        map_fails(&module, context("Qm", "storeLine", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(error.contains("`Qm` is not a valid IPFS path"), "{error}");

    let small = self::module(&gateway, common::config(), |ipfs| {
        ipfs.max_map_file_bytes = 16
    });
    let (error, deterministic, _) =
        map_fails(&small, context(&cid, "storeLine", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("larger than the limit of 16 bytes"),
        "{error}"
    );

    let (error, deterministic, _) =
        map_fails(&common::module(), context(&cid, "storeLine", "json", "a")).await;
    assert!(!deterministic, "{error}");
    assert!(
        error.contains("calls ipfs.map, which needs an IPFS gateway"),
        "{error}"
    );
}

/// The callbacks' gas is the handler's: each line's callback adds to the handler's gas used,
/// and a limit the handler with one line stays under but three lines exceed fails the handler
/// deterministically.
#[tokio::test]
async fn callbacks_use_the_handlers_gas() {
    let gateway = Gateway::spawn().unwrap();
    let line = "{\"id\": \"a\", \"name\": \"a\", \"n\": 1}\n";
    let one = gateway
        .add(line.as_bytes(), Layout::default())
        .await
        .unwrap();
    let three = gateway
        .add(line.repeat(3).as_bytes(), Layout::default())
        .await
        .unwrap();
    let module = module(&gateway, common::config(), |_| {});
    let gas_used = |result: HandlerResult| {
        assert!(result.outcome.is_ok(), "{:?}", result.outcome);
        result.gas_used
    };
    let gas_one = gas_used(map(&module, context(&one, "storeLine", "json", "a")).await);
    let gas_three = gas_used(map(&module, context(&three, "storeLine", "json", "a")).await);
    // Two more callbacks, each at least instantiated and started.
    assert!(gas_three > gas_one + 2 * 10_000, "{gas_one} {gas_three}");

    let config = RuntimeConfig {
        gas_limit: (gas_one + gas_three) / 2,
        ..common::config()
    };
    let limited = self::module(&gateway, config, |_| {});
    let gas = gas_used(map(&limited, context(&one, "storeLine", "json", "a")).await);
    assert_eq!(gas, gas_one);
    let (error, deterministic, _) =
        map_fails(&limited, context(&three, "storeLine", "json", "a")).await;
    assert!(deterministic, "{error}");
    assert!(error.contains("out of gas"), "{error}");
}

/// A callback may call `ipfs.map` itself: the inner callbacks' writes reach the handler through
/// the outer callback's state, before the outer callback's own write.
#[tokio::test]
async fn callbacks_may_map_files_themselves() {
    let gateway = Gateway::spawn().unwrap();
    let module = module(&gateway, common::config(), |_| {});
    let inner = "{\"id\": \"inner\", \"name\": \"in\", \"n\": 2}\n";
    let inner = gateway
        .add(inner.as_bytes(), Layout::default())
        .await
        .unwrap();
    let outer =
        format!("{{\"id\": \"outer\", \"name\": \"out\", \"n\": 1, \"nested\": \"{inner}\"}}\n");
    let outer = gateway
        .add(outer.as_bytes(), Layout::default())
        .await
        .unwrap();

    let mut result = map(&module, context(&outer, "storeLine", "json", "inner")).await;
    if let Err(e) = &result.outcome {
        panic!("ipfsMap failed: {e}");
    }
    for (id, name) in [("inner", "in"), ("outer", "out")] {
        let o = entity(&mut result, "Output", id);
        assert_eq!(strings(&o, "strings"), ["tag", name]);
    }
    let handler = entity(&mut result, "Output", "ipfsMap");
    assert_eq!(list(&handler, "bools"), [Value::Bool(true)]);
    let written = written_ids(&mut result);
    assert_eq!(written, ["ipfsMap", "inner", "outer", "ipfsMap"]);
}

/// The handler's wall clock keeps running while callbacks run (only the fetch pauses it): a
/// callback that never ends makes the handler hit its timeout, which is not deterministic.
#[tokio::test]
async fn a_callback_that_never_ends_hits_the_handlers_timeout() {
    let gateway = Gateway::spawn().unwrap();
    let config = RuntimeConfig {
        timeout: Some(Duration::from_millis(100)),
        gas_limit: u64::MAX / 2,
        ..common::config()
    };
    let module = module(&gateway, config, |_| {});
    let cid = gateway
        .add(b"{\"id\": \"a\", \"spin\": true}\n", Layout::default())
        .await
        .unwrap();
    let (error, deterministic, _) =
        map_fails(&module, context(&cid, "storeLine", "json", "a")).await;
    assert!(!deterministic, "{error}");
    assert!(error.contains("hit the timeout of 100ms"), "{error}");
}

/// `ipfs.map` calls nest at most 16 deep (each level holds an instance): a chain of files each
/// mapping the next fails deterministically one level past that, and succeeds at it.
#[tokio::test]
async fn nesting_is_bounded() {
    let gateway = Gateway::spawn().unwrap();
    let module = module(&gateway, common::config(), |_| {});
    // chain[i] maps chain[i - 1] from its callback: mapping chain[i] nests i + 1 calls deep.
    let mut chain = vec![gateway
        .add(
            b"{\"id\": \"l0\", \"name\": \"x\", \"n\": 0}\n",
            Layout::default(),
        )
        .await
        .unwrap()];
    for i in 1..=16 {
        let line = format!(
            "{{\"id\": \"l{i}\", \"name\": \"x\", \"n\": {i}, \"nested\": \"{}\"}}\n",
            chain[i - 1]
        );
        chain.push(
            gateway
                .add(line.as_bytes(), Layout::default())
                .await
                .unwrap(),
        );
    }
    let mut result = map(&module, context(&chain[15], "storeLine", "json", "l0")).await;
    if let Err(e) = &result.outcome {
        panic!("ipfsMap failed: {e}");
    }
    assert_eq!(written_ids(&mut result).len(), 16 + 2);

    let (error, deterministic, _) =
        map_fails(&module, context(&chain[16], "storeLine", "json", "l0")).await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("ipfs.map calls nested deeper than the limit of 16"),
        "{error}"
    );
}
