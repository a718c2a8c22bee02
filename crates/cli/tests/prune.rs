//! End to end: `indexerHints.prune` on the erc20 example. A pruned index answers every query from
//! its earliest kept block on exactly like a full index of the same chain, refuses older blocks
//! with graph-node's message, and a history shorter than the reorg threshold is refused at start.

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;

const TRANSFERS: u32 = 60;
const KEEP: u64 = 10;

/// Copies the erc20 example's build into `dir` with `indexerHints.prune: <prune>` added.
fn pruned_build(dir: &Path, prune: &str) -> std::path::PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let build = dir.join("build");
    copy(&repo().join("examples/erc20/build"), &build);
    let manifest = build.join("subgraph.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.starts_with("specVersion: 1."),
        "indexerHints need specVersion 1.0.0"
    );
    let text = text.replacen(
        "\nschema:",
        &format!("\nindexerHints:\n  prune: {prune}\nschema:"),
        1,
    );
    std::fs::write(&manifest, text).unwrap();
    manifest
}

fn index_manifest(
    manifest: &Path,
    url: &str,
    db: &Path,
    until: u64,
    extra: &[&str],
) -> std::process::Output {
    sprig()
        .arg("index")
        .arg(manifest)
        .args([
            "--rpc",
            url,
            "--until",
            &until.to_string(),
            "--name",
            "erc20",
        ])
        .arg("--db")
        .arg(db)
        .args(extra)
        .output()
        .expect("sprig runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn pruned_history_answers_like_full_history_from_the_earliest_block() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), TRANSFERS);
    let last = summary["lastBlock"].as_u64().unwrap();
    assert!(
        last > 3 * KEEP,
        "the chain is long enough to prune: {last} blocks"
    );
    let dir = tempfile::tempdir().unwrap();

    let full = dir.path().join("full.sqlite");
    assert_ok(&index("erc20", anvil.url(), &full, last));
    let pruned = dir.path().join("pruned.sqlite");
    let manifest = pruned_build(dir.path(), &KEEP.to_string());
    // Two runs, so pruning happens at the end of each.
    assert_ok(&index_manifest(
        &manifest,
        anvil.url(),
        &pruned,
        last / 2,
        &["--reorg-threshold", "5"],
    ));
    assert_ok(&index_manifest(
        &manifest,
        anvil.url(),
        &pruned,
        last,
        &["--reorg-threshold", "5"],
    ));

    let earliest = sprig_store::Store::open(pruned.to_str().unwrap())
        .unwrap()
        .open_deployment("erc20")
        .unwrap()
        .status()
        .unwrap()
        .earliest_block;
    assert_eq!(earliest, last - KEEP, "history is kept for {KEEP} blocks");

    let (full_db, pruned_db) = (full, pruned);
    let full = serve(&full_db);
    let pruned = serve(&pruned_db);
    let accounts = |block: u64| {
        format!(
            "{{ accounts(first: 1000, orderBy: id, block: {{ number: {block} }}) {{ id balance }}
               token: tokens(block: {{ number: {block} }}) {{ totalSupply transferCount }}
               transfers(first: 1000, orderBy: id, block: {{ number: {block} }}) {{ id value }} }}"
        )
    };
    // From the earliest kept block to the head, both give the same answers (and they change).
    let mut answers = Vec::new();
    for block in earliest..=last {
        let expected = full.query("erc20", &accounts(block)).await.unwrap();
        assert_eq!(
            pruned.query("erc20", &accounts(block)).await.unwrap(),
            expected,
            "block {block}"
        );
        answers.push(expected);
    }
    answers.dedup();
    assert!(answers.len() > 1, "the kept blocks differ from each other");
    let latest = "{ accounts(first: 1000, orderBy: id) { id balance balanceDecimal } }";
    assert_eq!(
        pruned.query("erc20", latest).await.unwrap(),
        full.query("erc20", latest).await.unwrap()
    );

    // Proofs of indexing are kept from the earliest block on, and equal the full index's.
    assert_eq!(
        poi(&pruned_db, "erc20", earliest),
        poi(&full_db, "erc20", earliest)
    );
    let out = sprig()
        .args([
            "poi",
            "--name",
            "erc20",
            "--block",
            &(earliest - 1).to_string(),
            "--db",
        ])
        .arg(&pruned_db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "keeps history from block {earliest} on (indexerHints.prune)"
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A block named by hash is the same block as named by number.
    for block in [earliest, last - 1] {
        let hash = rpc(
            anvil.url(),
            "eth_getBlockByNumber",
            serde_json::json!([format!("0x{block:x}"), false]),
        )
        .await["hash"]
            .as_str()
            .unwrap()
            .to_string();
        let by_hash = format!(
            "{{ accounts(first: 1000, orderBy: id, block: {{ hash: \"{hash}\" }}) {{ id balance }}
               _meta(block: {{ hash: \"{hash}\" }}) {{ block {{ number hash }} }} }}"
        );
        let data = pruned.query("erc20", &by_hash).await.unwrap();
        let by_number = full.query("erc20", &accounts(block)).await.unwrap();
        assert_eq!(
            data["accounts"], by_number["accounts"],
            "block {block} by hash"
        );
        assert_eq!(data["_meta"]["block"]["number"], serde_json::json!(block));
        assert_eq!(data["_meta"]["block"]["hash"], serde_json::json!(hash));
    }

    // Before it, the pruned index says why it cannot answer; the full one still can.
    let old = accounts(earliest - 1);
    assert!(full.query("erc20", &old).await.is_ok());
    let response: Value = pruned.query_raw("erc20", &old).await.unwrap();
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(&format!(
            "only has data starting at block number {earliest} and data for block number {} is therefore not available",
            earliest - 1
        )),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn history_shorter_than_the_reorg_threshold_is_refused() {
    let anvil = anvil();
    let dir = tempfile::tempdir().unwrap();
    let manifest = pruned_build(dir.path(), "5");
    let out = index_manifest(
        &manifest,
        anvil.url(),
        &dir.path().join("db.sqlite"),
        1,
        &["--reorg-threshold", "5"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`indexerHints.prune: 5` keeps 5 blocks of history")
            && stderr.contains("reorg threshold, 5 blocks"),
        "{stderr}"
    );
}
