//! End to end: `file/arweave` data sources (the ipfs example's `ArweaveDoc` template) with the
//! real binary, a real chain and a real Arweave gateway (arlocal on loopback, transactions signed
//! and posted with the `arweave` JS client).
//!
//! Every transaction id announced to `ArweaveAnnouncements` creates an `ArweaveDoc` file data
//! source whose handler stores the data's size, keccak256 and text. The test checks the exact
//! `ArweaveDoc`s over GraphQL on both stores: plain transactions (text and binary) and a path
//! through a path manifest (`<id>/<path>`) are handled; a transaction announced before it was
//! posted is asked for again until the gateway has it, while the chain is indexed on; data over
//! the size limit (`--ipfs-max-file-bytes`, which graph-node applies to Arweave files too) and a
//! name that is no transaction id are never handled; and a restart fetches nothing again.
//!
//! When a ready file is handled depends on when the gateway answered (in graph-node too), so the
//! test runs `sprig dev`, mines a block now and then so it has blocks to handle files in, and
//! waits for the outcome with a deadline.

mod support;

use std::time::{Duration, Instant};

use alloy::primitives::keccak256;
use serde_json::{json, Value};
use sprig_arweave::testing::Gateway;
use sprig_chain::testing::Anvil;
use support::*;

/// How long the test waits for an outcome before it fails.
const DEADLINE: Duration = Duration::from_secs(90);

/// The size limit the test sets: the `too large` file is one byte over it.
const LIMIT: usize = 4096;

/// The fields of `ArweaveDoc`.
const FIELDS: &str = "id announcer size contentHash text";

/// The `ArweaveDoc` the template's handler stores for `bytes` announced as `id` by `announcer`.
fn expected_doc(id: &str, bytes: &[u8], announcer: &str) -> Value {
    json!({
        "id": id,
        "announcer": announcer.to_lowercase(),
        "size": bytes.len(),
        "contentHash": to_hex(keccak256(bytes).as_slice()),
        "text": (bytes.len() < 100).then(|| String::from_utf8(bytes.to_vec()).unwrap()),
    })
}

/// Mines a block every 100 ms until `done` holds for the `ArweaveDoc`s and the indexed head, and
/// returns those `ArweaveDoc`s.
async fn mine_until(
    dev: &mut Dev,
    anvil: &Anvil,
    server: &Server,
    what: &str,
    done: impl Fn(&[Value], u64) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        dev.assert_running();
        let head = server
            .query("ipfs", "{ _meta { block { number } } }")
            .await
            .ok()
            .and_then(|data| data["_meta"]["block"]["number"].as_u64());
        if let Some(head) = head {
            if let Ok(docs) = server.all("ipfs", "arweaveDocs", FIELDS).await {
                if done(&docs, head) {
                    return docs;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen in time; sprig's log:\n{}",
            dev.stderr()
        );
        anvil.mine(1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn arweave_file_data_sources_sqlite() {
    arweave_file_data_sources(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn arweave_file_data_sources_postgres() {
    arweave_file_data_sources(Backend::Postgres).await
}

async fn arweave_file_data_sources(backend: Backend) {
    let gateway = Gateway::spawn().unwrap();
    let text = b"an Arweave file for a file data source".to_vec();
    let binary: Vec<u8> = (0..LIMIT as u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let late = b"posted after it was announced".to_vec();
    let too_large = vec![b'x'; LIMIT + 1];
    let text_id = gateway.add(&text).await.unwrap();
    let binary_id = gateway.add(&binary).await.unwrap();
    // Signed (so its id is known) but not posted: the gateway answers 404 until it is.
    let late_id = gateway.sign(&late).await.unwrap();
    let too_large_id = gateway.add(&too_large).await.unwrap();
    let manifest_id = gateway
        .add_manifest(&[("docs/readme.txt", &text_id)])
        .await
        .unwrap();
    let in_manifest = format!("{manifest_id}/docs/readme.txt");
    let announced = [
        text_id.as_str(),
        binary_id.as_str(),
        late_id.as_str(),
        too_large_id.as_str(),
        in_manifest.as_str(),
        // No transaction id: a data source is created (as in graph-node) but never fetched.
        "not-a-transaction",
    ];

    let anvil = anvil();
    let mut args = vec!["--arweave"];
    args.extend(announced);
    let summary = emit_with("ipfs", anvil.url(), &args);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let announcer = |i: usize| summary["published"][i]["author"].as_str().unwrap();
    let sorted = |mut docs: Vec<Value>| {
        docs.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        docs
    };
    let available = sorted(vec![
        expected_doc(&text_id, &text, announcer(0)),
        expected_doc(&binary_id, &binary, announcer(1)),
        expected_doc(&in_manifest, &text, announcer(4)),
    ]);

    let dbs = Databases::new(backend);
    let db = dbs.create("ipfs.sqlite");
    let port = free_port();
    let limit = LIMIT.to_string();
    let mut dev = Dev::start(
        dev_command("ipfs", anvil.url(), &db, port)
            .args(["--arweave", gateway.url(), "--ipfs-max-file-bytes", &limit])
            .env("SPRIG_LOG", "warn,sprig_indexer=debug"),
    );
    let server = Server::attach(port);

    // What the gateway has is handled; the chain is indexed past the announcements while the
    // late transaction is asked for again and again.
    let got = mine_until(
        &mut dev,
        &anvil,
        &server,
        "the posted files",
        |docs, head| head >= last_block + 3 && docs.len() >= available.len(),
    )
    .await;
    assert_eq!(got, available, "{}", dev.stderr());
    let deadline = Instant::now() + DEADLINE;
    while dev
        .stderr()
        .matches(&format!("file `{late_id}` not fetched yet"))
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the late file is not asked for again: {}",
            dev.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Posted now: handled in a later block.
    gateway.post(&late_id).await.unwrap();
    let mut expected = available.clone();
    expected.push(expected_doc(&late_id, &late, announcer(2)));
    let expected = sorted(expected);
    let got = mine_until(&mut dev, &anvil, &server, "the late file", |docs, _| {
        docs.len() >= expected.len()
    })
    .await;
    assert_eq!(got, expected, "{}", dev.stderr());
    dev.interrupt();
    let log = dev.stderr();
    assert!(
        log.contains(&format!(
            "file data source `{too_large_id}` will never be processed: the Arweave file \
             `{too_large_id}` is larger than the limit of {LIMIT} bytes"
        )),
        "{log}"
    );
    assert!(
        log.contains(
            "file data source `not-a-transaction` will never be processed: `not-a-transaction` \
             is not an Arweave transaction id or path"
        ),
        "{log}"
    );
    for id in [&text_id, &binary_id, &late_id, &in_manifest] {
        assert!(
            log.contains(&format!("file data source `{id}` processed")),
            "{log}"
        );
    }
    drop(server);

    // A restart resumes after the head: done file data sources are not fetched or run again
    // (the too-large one is asked for once more, and refused again).
    anvil.mine(2).await.unwrap();
    let head = anvil.block_number().await.unwrap();
    let out = sprig()
        .arg("index")
        .arg(manifest("ipfs"))
        .args(["--rpc", anvil.url(), "--until", &head.to_string()])
        .args(["--arweave", gateway.url(), "--ipfs-max-file-bytes", &limit])
        .arg("--db")
        .arg(&db)
        .env("SPRIG_LOG", "warn,sprig_indexer=debug")
        .output()
        .unwrap();
    assert_ok(&out);
    let log = String::from_utf8_lossy(&out.stderr);
    for id in [&text_id, &binary_id, &late_id, &in_manifest] {
        assert!(
            !log.contains(id.as_str()),
            "{id} again after a restart:\n{log}"
        );
    }
    let server = serve(&db);
    assert_eq!(
        server.all("ipfs", "arweaveDocs", FIELDS).await.unwrap(),
        expected
    );
}
