//! The `sprig` command as a user drives it: defaults, `dev`, Ctrl-C, and a failing mapping.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sprig_chain::testing::TxRequest;
use support::*;

/// `sprig dev` with no --db or --name: indexes into `.sprig/erc20.sqlite` under the current
/// directory, follows the head, and serves GraphQL while indexing.
#[tokio::test(flavor = "multi_thread")]
async fn dev_indexes_and_serves_with_default_name_and_db() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 50);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = sprig()
        .current_dir(dir.path())
        .arg("dev")
        .arg(manifest("erc20"))
        .args([
            "--rpc",
            anvil.url(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/subgraphs/name/erc20");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let meta = loop {
        assert!(
            Instant::now() < deadline,
            "dev did not reach block {last_block}"
        );
        let response = client
            .post(&url)
            .json(&json!({"query": "{ _meta { block { number } } tokens { transferCount } }"}))
            .send()
            .await;
        if let Ok(r) = response {
            let body: serde_json::Value = r.json().await.unwrap();
            if body["data"]["_meta"]["block"]["number"].as_u64() >= Some(last_block) {
                break body;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        meta["data"]["tokens"][0]["transferCount"],
        json!(summary["transferLogs"].to_string())
    );
    // Following the head: a new block is indexed while it runs.
    anvil.mine(1).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "dev did not follow the head");
        let body: serde_json::Value = client
            .post(&url)
            .json(&json!({"query": "{ _meta { block { number } } }"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["data"]["_meta"]["block"]["number"].as_u64() == Some(last_block + 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    interrupt(&child);
    let status = wait(&mut child, Duration::from_secs(20));
    assert!(status.success(), "Ctrl-C exits cleanly: {status}");
    assert!(dir.path().join(".sprig/erc20.sqlite").exists());
    // The compiled mapping is cached beside the database, so the next start does not compile.
    let cached = std::fs::read_dir(dir.path().join(".sprig/wasm-cache"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count();
    assert_eq!(cached, 1);
}

/// Ctrl-C while following the head stops after the block in flight; the next run resumes and
/// ends with the same entities as one uninterrupted run.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_cleanly_and_a_restart_resumes() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 300);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("erc20.sqlite");
    let mut child = sprig()
        .arg("index")
        .arg(manifest("erc20"))
        .args(["--rpc", anvil.url()])
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let status = wait(&mut child, Duration::from_secs(20));
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("stopp"), "{stderr}");

    assert_ok(&index("erc20", anvil.url(), &db, last_block));
    let server = serve(&db);
    let data = server
        .query(
            "erc20",
            "{ tokens { transferCount totalSupply } _meta { block { number } } }",
        )
        .await
        .unwrap();
    assert_eq!(data["_meta"]["block"]["number"], json!(last_block));
    assert_eq!(
        data["tokens"][0],
        json!({
            "transferCount": summary["transferLogs"].to_string(),
            "totalSupply": summary["totalSupply"],
        })
    );
}

/// A mapping that fails deterministically (here: out of gas) stops the subgraph at that block with
/// an error naming the handler, data source, block and transaction; the failure is stored and
/// shown by `_meta`.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_handler_fails_the_subgraph_with_a_readable_error() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 10);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("erc20.sqlite");
    let out = sprig()
        .arg("index")
        .arg(manifest("erc20"))
        .args([
            "--rpc",
            anvil.url(),
            "--until",
            &last_block.to_string(),
            "--gas-limit",
            "1000",
        ])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a failed subgraph exits non-zero");
    // The first Transfer is the mint in block 2.
    for part in [
        "handler `handleTransfer`",
        "data source `Token`",
        "at block 2",
        "transaction 0x",
        "gas",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
    // Running again reports the stored failure instead of indexing.
    let again = index("erc20", anvil.url(), &db, last_block);
    assert!(!again.status.success());
    // `sprig status` shows it, and exits non-zero.
    let status = sprig()
        .arg("status")
        .arg("--db")
        .arg(&db)
        .args(["--rpc", anvil.url()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(!status.status.success(), "{stdout}");
    for part in [
        &format!("chain head: block {last_block}"),
        "erc20:",
        "latest block: 2",
        "failed at block 2",
        "handler:      handleTransfer",
        "out of gas",
    ] {
        assert!(stdout.contains(part), "missing {part:?} in:\n{stdout}");
    }
    let server = serve(&db);
    let body = server
        .query_raw("erc20", "{ _meta { block { number } hasIndexingErrors } }")
        .await
        .unwrap();
    assert_eq!(
        body["data"]["_meta"],
        json!({ "block": { "number": 2 }, "hasIndexingErrors": true })
    );
}

/// `--max-retries` and `--retry-backoff` set the retry policy of non-deterministic failures: a
/// handler that always hits `--handler-timeout` is tried once, retried once after 100 ms, and
/// then indexing halts with a message naming the retries and the timeout. Nothing is stored and
/// no failure is recorded.
#[tokio::test(flavor = "multi_thread")]
async fn retry_flags_bound_the_retries_of_a_timed_out_block() {
    let anvil = anvil();
    let busy = deploy_busy(&anvil).await; // block 1
                                          // Minutes of wasm: only the timeout ends the handler.
    let work = calldata("work(uint256)", 100_000_000_000);
    let receipt = anvil
        .send_transaction(TxRequest::call(busy, work))
        .await
        .unwrap();
    assert_eq!(receipt.block_number, 2);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("busy.sqlite");
    let run = |extra: &[&str]| {
        sprig()
            .arg("index")
            .arg(manifest("busy"))
            .args(["--rpc", anvil.url(), "--until", "2"])
            // Far above what the loop could burn before the timeout.
            .args([
                "--gas-limit",
                "1000000000000000",
                "--handler-timeout",
                "0.2",
            ])
            .arg("--db")
            .arg(&db)
            .args(extra)
            .output()
            .unwrap()
    };

    let out = run(&["--max-retries", "1", "--retry-backoff", "0.1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for part in [
        "block 2: ",
        "the handler hit the timeout of 200ms",
        "(non-deterministic; retry 1/1 in 100ms)",
        "indexing halted at block 2 after 1 retry (the error is non-deterministic",
        "handler `handleWork` of data source `Busy` at block 2",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
    assert_eq!(stderr.matches("retry 1/1").count(), 1, "{stderr}");
    assert!(!stderr.contains("retry 2/"), "{stderr}");

    // No retry at all: the first timeout halts.
    let out = run(&["--max-retries", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("indexing halted at block 2 after 0 retries"),
        "{stderr}"
    );
    assert!(!stderr.contains("retry 1/"), "{stderr}");

    // Block 2 is not committed (nor block 1, which has no trigger and would have been committed
    // with it) and the timeout is no failure: `status` shows a healthy subgraph with no block.
    let status = sprig()
        .arg("status")
        .arg("--db")
        .arg(&db)
        .args(["--rpc", anvil.url()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    for part in ["latest block: none yet", "health:       healthy"] {
        assert!(stdout.contains(part), "missing {part:?} in:\n{stdout}");
    }
}

/// Bad retry flags and names are refused before anything is opened, saying what is expected.
#[test]
fn bad_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.sqlite");
    for (flag, expected) in [
        (
            "--retry-backoff=-1",
            "--retry-backoff must be a number of seconds, 0 or more, not -1",
        ),
        (
            "--retry-backoff=NaN",
            "--retry-backoff must be a number of seconds, 0 or more, not NaN",
        ),
        ("--retry-backoff=soon", "invalid value 'soon'"),
        ("--max-retries=-1", "invalid value '-1'"),
        ("--max-retries=many", "invalid value 'many'"),
        (
            "--max-block-range=0",
            "--max-block-range must be at least 1",
        ),
        (
            "--arweave-timeout=0",
            "--arweave-timeout must be a positive number of seconds, not 0",
        ),
        (
            "--arweave=ftp://gateway",
            "Arweave gateway URL `ftp://gateway` must be http or https",
        ),
        // A name the GraphQL server would refuse to serve.
        (
            "--name=legacy-0.0.4",
            "invalid subgraph name `legacy-0.0.4`",
        ),
    ] {
        let out = sprig()
            .arg("index")
            .arg(manifest("busy"))
            // Nothing listens here: the flags must be refused before any RPC.
            .args(["--rpc", "http://127.0.0.1:9"])
            .arg("--db")
            .arg(&db)
            .arg(flag)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag}");
        assert!(
            stderr.contains(expected),
            "{flag}: missing {expected:?} in:\n{stderr}"
        );
        assert!(!db.exists(), "{flag} opened the database");
    }
}

fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(child: &mut std::process::Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sprig did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// With the `nonFatalErrors` feature a failing handler's writes are dropped and indexing goes on
/// to the end; `_meta` reports the errors, and a restart continues instead of stopping.
#[tokio::test(flavor = "multi_thread")]
async fn non_fatal_errors_skip_the_failing_handlers_and_go_on() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 10);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The erc20 build, declaring the feature.
    let build = dir.path().join("nonfatal/build");
    copy_dir(&repo().join("examples/erc20/build"), &build);
    let manifest = std::fs::read_to_string(build.join("subgraph.yaml")).unwrap();
    std::fs::write(
        build.join("subgraph.yaml"),
        manifest.replacen("schema:", "features:\n  - nonFatalErrors\nschema:", 1),
    )
    .unwrap();
    let db = dir.path().join("nonfatal.sqlite");
    let run = |until: u64, gas: &str| {
        sprig()
            .arg("index")
            .arg(build.join("subgraph.yaml"))
            .args([
                "--rpc",
                anvil.url(),
                "--until",
                &until.to_string(),
                "--gas-limit",
                gas,
            ])
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap()
    };
    // Every handler runs out of gas; each is skipped.
    assert_ok(&run(last_block / 2, "1000"));
    assert_ok(&run(last_block, "1000"));
    let server = serve(&db);
    let body = server
        .query_raw(
            "nonfatal",
            "{ _meta { block { number } hasIndexingErrors } accounts { id } }",
        )
        .await
        .unwrap();
    assert_eq!(
        body["data"]["_meta"],
        json!({ "block": { "number": last_block }, "hasIndexingErrors": true })
    );
    // graph-node's default error policy (deny) withholds entity data of a subgraph with errors.
    assert!(
        body["errors"].to_string().contains("indexing_error"),
        "{body}"
    );
    let body = server
        .query_raw("nonfatal", "{ accounts(subgraphError: allow) { id } }")
        .await
        .unwrap();
    assert_eq!(
        body["data"]["accounts"],
        json!([]),
        "no handler's writes were kept"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `sprig dev` serves Prometheus metrics beside GraphQL: handler calls equal the chain's logs,
/// gas is counted per handler, and the head is the committed block. `sprig serve` has none.
#[tokio::test(flavor = "multi_thread")]
async fn dev_serves_handler_metrics() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 20);
    let last = summary["lastBlock"].as_u64().unwrap();
    let dbs = Databases::new(Backend::Sqlite);
    let db = dbs.create("metrics.sqlite");
    let port = free_port();
    let mut dev = Dev::start(&mut dev_command("erc20", anvil.url(), &db, port));
    let server = Server::attach(port);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(data) = server
            .query("erc20", "{ _meta { block { number } } }")
            .await
        {
            if data["_meta"]["block"]["number"] == json!(last) {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the index did not reach block {last}"
        );
        dev.assert_running();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |metric: &str, handler: &str| -> u64 {
        let prefix =
            format!("{metric}{{subgraph=\"erc20\",data_source=\"Token\",handler=\"{handler}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("sprig_handler_calls_total", "handleTransfer"),
        summary["transferLogs"].as_u64().unwrap()
    );
    assert_eq!(
        value("sprig_handler_calls_total", "handleMemo"),
        summary["memoLogs"].as_u64().unwrap()
    );
    assert!(value("sprig_handler_gas_total", "handleTransfer") > 0);
    assert_eq!(value("sprig_handler_failures_total", "handleTransfer"), 0);
    assert!(
        text.lines()
            .any(|l| l == format!("sprig_head_block{{subgraph=\"erc20\"}} {last}")),
        "{text}"
    );
    drop(dev);

    let serve = serve(&db);
    let response = reqwest::get(format!("{}/metrics", serve.url))
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
}
