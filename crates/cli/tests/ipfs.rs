//! End to end: the ipfs example against a real IPFS (Helia's UnixFS, served over the gateway
//! protocol on loopback). Its handler reads the CID each event announces with `ipfs.cat` and
//! `ipfs.getBlock`: small and multi-block files of CIDv0 and CIDv1 layouts come back whole, an
//! invalid CID and a file over `--ipfs-max-file-bytes` are `null`, and a file the gateway does not
//! have yet makes sprig retry the block (nothing recorded) until it appears; a gateway sending
//! wrong bytes for a CID is refused.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::keccak256;
use serde_json::{json, Value};
use sprig_ipfs::testing::{Gateway, Layout};
use support::*;

const LIMIT: usize = 2_000_000;

/// `len` varied bytes.
fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ipfs_cat_reads_verified_files_and_retries_missing_ones() {
    let gateway = Gateway::spawn().unwrap();
    let v0 = Layout {
        cid_version: 0,
        raw_leaves: false,
        chunk_size: 262_144,
    };
    // (content, layout, served now)
    let files: Vec<(Vec<u8>, Layout, bool)> = vec![
        (b"hello from ipfs".to_vec(), Layout::default(), true),
        (b"42".to_vec(), v0, true),
        (content(1_500_000, 1), Layout::default(), true),
        (content(1_200_000, 2), v0, true),
        (content(LIMIT + 1, 3), Layout::default(), true),
        (
            b"published before it was pinned".to_vec(),
            Layout::default(),
            false,
        ),
    ];
    let mut cids = Vec::new();
    for (bytes, layout, served) in &files {
        cids.push(if *served {
            gateway.add(bytes, *layout).await.unwrap()
        } else {
            gateway.add_hidden(bytes, *layout).await.unwrap()
        });
    }
    let hidden = cids.last().unwrap().clone();
    let mut announced = cids.clone();
    announced.insert(5, "not a cid".to_string());

    let anvil = anvil();
    let summary = emit_with("ipfs", anvil.url(), &announced);
    let last_block = summary["lastBlock"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ipfs.sqlite");
    let mut child = sprig()
        .arg("index")
        .arg(manifest("ipfs"))
        .args(["--rpc", anvil.url(), "--until", &last_block.to_string()])
        .args(["--ipfs", gateway.url()])
        .args(["--ipfs-max-file-bytes", &LIMIT.to_string()])
        .args(["--retry-backoff", "0.1", "--max-retries", "100"])
        .arg("--db")
        .arg(&db)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let (log, stderr) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap();
                log.lock().unwrap().push_str(&line);
                log.lock().unwrap().push('\n');
            }
        })
    };
    // The hidden file's block is retried; once that is seen, pin the file.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log.lock().unwrap().contains("retry 2/") {
        assert!(
            Instant::now() < deadline,
            "no retry seen:\n{}",
            log.lock().unwrap()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "sprig exited:\n{}",
            log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    gateway.reveal(&hidden).await.unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(status.success(), "{log}");
    assert!(
        log.contains(&format!("ipfs.cat(`{hidden}`) failed"))
            && log.contains(&format!("the gateway has no block {hidden}")),
        "{log}"
    );

    // Expected entities, from the files and the gateway's raw root blocks.
    let http = reqwest::Client::new();
    let mut expected = Vec::new();
    for (i, cid) in announced.iter().enumerate() {
        let published = &summary["published"][i];
        assert_eq!(published["cid"], json!(cid));
        let file = cids.iter().position(|c| c == cid).map(|k| &files[k].0);
        let root = if file.is_some() {
            let response = http
                .get(format!("{}/ipfs/{cid}?format=raw", gateway.url()))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            Some(response.bytes().await.unwrap().len())
        } else {
            None
        };
        let readable = file.filter(|f| f.len() <= LIMIT);
        expected.push(json!({
            "cid": cid,
            "author": published["author"],
            "block": published["block"].as_u64().unwrap().to_string(),
            "found": readable.is_some(),
            "size": readable.map(|f| f.len()),
            "contentHash": readable.map(|f| to_hex(keccak256(f).as_slice())),
            "text": readable.filter(|f| f.len() < 100).map(|f| String::from_utf8(f.clone()).unwrap()),
            "rootBlockSize": root,
        }));
    }
    // Sanity of the layouts: single-block files are their own root; "42" in CIDv0 is the
    // 10-byte dag-pb node graph-node's tests know; big files have a small root.
    assert_eq!(expected[0]["rootBlockSize"], json!(15));
    assert_eq!(expected[1]["rootBlockSize"], json!(10));
    assert!(expected[2]["rootBlockSize"].as_u64().unwrap() < 1000);

    let server = serve(&db);
    let got = server
        .query(
            "ipfs",
            "{ files(orderBy: block) { cid author block found size contentHash text rootBlockSize } }",
        )
        .await
        .unwrap();
    assert_eq!(got["files"], Value::Array(expected));
}

/// A gateway that answers a CID with other bytes is not believed: the block is retried and,
/// as the bytes stay wrong, indexing halts with the reason; nothing of the block is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_sending_wrong_bytes_is_refused() {
    let gateway = Gateway::spawn().unwrap();
    let cid = gateway
        .add(b"the real content", Layout::default())
        .await
        .unwrap();
    gateway.corrupt(&cid).await.unwrap();
    let anvil = anvil();
    let summary = emit_with("ipfs", anvil.url(), &[&cid]);
    let block = summary["published"][0]["block"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ipfs.sqlite");
    let out = sprig()
        .arg("index")
        .arg(manifest("ipfs"))
        .args(["--rpc", anvil.url(), "--until", &block.to_string()])
        .args(["--ipfs", gateway.url()])
        .args(["--retry-backoff", "0.05", "--max-retries", "1"])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("do not hash to {cid}; refused"))
            && stderr.contains(&format!("indexing halted at block {block}")),
        "{stderr}"
    );
    // The failing block is the first with a trigger: nothing was committed at all.
    let server = serve(&db);
    let response = server.query_raw("ipfs", "{ files { id } }").await.unwrap();
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has not started syncing yet"),
        "{response}"
    );
}

/// `ipfs.map` through the binary: each JSON line of a list file runs the example's
/// `processListItem` callback (numbers beyond u64, Unicode, arrays, the user data), and the
/// items are stored with their block. A list with a line that is not JSON fails the subgraph
/// deterministically at its block, naming it; the blocks before it keep their items.
#[tokio::test(flavor = "multi_thread")]
async fn ipfs_map_runs_the_callback_for_every_line() {
    let gateway = Gateway::spawn().unwrap();
    let good = concat!(
        r#"{"id":"a","name":"Ünïcode 𝄞","amount":18446744073709551616000,"tags":["x","y"]}"#,
        "\n",
        r#"{"id":"b","name":"plain","amount":-5,"tags":[]}"#,
        "\n",
        r#"{"id":"c","name":"last line without a newline","amount":0,"tags":["z"]}"#,
    );
    let bad = concat!(
        r#"{"id":"d","name":"fine","amount":1,"tags":[]}"#,
        "\n",
        "{oops\n"
    );
    let good_cid = gateway
        .add(good.as_bytes(), Layout::default())
        .await
        .unwrap();
    let bad_cid = gateway
        .add(bad.as_bytes(), Layout::default())
        .await
        .unwrap();
    let anvil = anvil();
    let summary = emit_with(
        "ipfs",
        anvil.url(),
        &[format!("list:{good_cid}"), format!("list:{bad_cid}")],
    );
    let good_block = summary["published"][0]["block"].as_u64().unwrap();
    let bad_block = summary["published"][1]["block"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ipfs.sqlite");
    let out = sprig()
        .arg("index")
        .arg(manifest("ipfs"))
        .args(["--rpc", anvil.url(), "--until", &bad_block.to_string()])
        .args(["--ipfs", gateway.url()])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("failed at block {bad_block}"))
            && stderr.contains("handleListPublished")
            && stderr.contains(&bad_cid),
        "{stderr}"
    );

    // Queries of a failed subgraph need `subgraphError: allow`, and answer with data and the
    // `indexing_error`, as graph-node's.
    let server = serve(&db);
    let query = |q: String| {
        let server = &server;
        async move {
            let response = server.query_raw("ipfs", &q).await.unwrap();
            assert_eq!(
                response["errors"],
                json!([{ "message": "indexing_error" }]),
                "{response}"
            );
            response["data"].clone()
        }
    };
    let got = query(
        "{ listItems(orderBy: id, subgraphError: allow) { id list name amount tags } _meta { hasIndexingErrors } }".into(),
    )
    .await;
    let item = |id: &str, name: &str, amount: &str, tags: &[&str]| json!({ "id": format!("{good_cid}-{id}"), "list": good_cid, "name": name, "amount": amount, "tags": tags });
    assert_eq!(
        got["listItems"],
        json!([
            item("a", "Ünïcode 𝄞", "18446744073709551616000", &["x", "y"]),
            item("b", "plain", "-5", &[]),
            item("c", "last line without a newline", "0", &["z"]),
        ])
    );
    assert_eq!(got["_meta"]["hasIndexingErrors"], json!(true));
    // Time travel: the items are there from the list's block on; before the failed block there
    // is no indexing error.
    for (block, count) in [(good_block - 1, 0), (good_block, 3)] {
        let at = server
            .query(
                "ipfs",
                &format!("{{ listItems(block: {{ number: {block} }}) {{ id }} }}"),
            )
            .await
            .unwrap();
        assert_eq!(at["listItems"].as_array().unwrap().len(), count, "{at}");
    }
}
