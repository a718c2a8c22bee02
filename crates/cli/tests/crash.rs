//! Crash safety: `kill -9` at arbitrary moments during indexing, then a restart, ends with exactly
//! the entities and proof of indexing of an uninterrupted run.

mod support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_indexing_then_restart_gives_the_same_result_sqlite() {
    kill_9_during_indexing_then_restart_gives_the_same_result(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_indexing_then_restart_gives_the_same_result_postgres() {
    kill_9_during_indexing_then_restart_gives_the_same_result(Backend::Postgres).await
}

async fn kill_9_during_indexing_then_restart_gives_the_same_result(backend: Backend) {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 1500);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let dbs = Databases::new(backend);

    let clean = dbs.create("clean.sqlite");
    assert_ok(&index("erc20", anvil.url(), &clean, last_block));

    let crashed = dbs.create("crashed.sqlite");
    // Fixed delays, but where each kill lands (startup, fetching, a handler, a commit) depends
    // on timing: every run exercises several phases.
    for delay_ms in [40u64, 150, 90, 300, 220] {
        let mut child = sprig()
            .arg("index")
            .arg(manifest("erc20"))
            .args(["--rpc", anvil.url(), "--until", &last_block.to_string()])
            .arg("--db")
            .arg(&crashed)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    assert_ok(&index("erc20", anvil.url(), &crashed, last_block));

    assert_eq!(
        poi(&crashed, "erc20", last_block),
        poi(&clean, "erc20", last_block)
    );
    let (a, b) = (serve(&crashed), serve(&clean));
    for (collection, fields) in [
        ("accounts", "id balance balanceDecimal"),
        ("transfers", "id from { id } to { id } value blockNumber"),
        ("memos", "id text data num"),
    ] {
        assert_eq!(
            a.all("erc20", collection, fields).await.unwrap(),
            b.all("erc20", collection, fields).await.unwrap(),
            "{collection}"
        );
    }
    let meta = a
        .query("erc20", "{ _meta { block { number } } }")
        .await
        .unwrap();
    assert_eq!(meta["_meta"]["block"]["number"], json!(last_block));
}
