//! End to end: the calls example. Call handlers run for successful calls to the data source's
//! address with the handler's selector, whether sent directly or made by another contract; not
//! for calls that reverted or whose transaction failed; a `call`-filtered block handler runs for
//! blocks with a call to the address; a data source created from a template gets call triggers,
//! in its creation block too; and logs and calls run in graph-node's order.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn call_handlers_and_call_block_filter_match_the_chain() {
    let anvil = anvil();
    let summary = emit("calls", anvil.url(), 0);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let registry = summary["registry"].as_str().unwrap();
    let caller = summary["caller"].as_str().unwrap();
    let child = summary["child"].as_str().unwrap();
    let account = |i: usize| summary["accounts"][i].as_str().unwrap().to_string();
    let tx = |label: &str| {
        summary["transactions"][label]["hash"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // The failing transactions did fail on chain (the emit script checks this too).
    for label in ["register 0", "registerThenRevert 5"] {
        let receipt = rpc(anvil.url(), "eth_getTransactionReceipt", json!([tx(label)])).await;
        assert_eq!(receipt["status"], "0x0", "{label}");
    }

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("calls.sqlite");
    assert_ok(&index("calls", anvil.url(), &db, last_block));
    let server = serve(&db);

    // `seq` is the order the handlers ran in. Block 3: per transaction, its `Registered` logs
    // before its calls. Block 6: the Caller's `Spawned` log creates the child data source, which
    // gets the block's call to the child after the block's other triggers.
    let registration = |label: &str,
                        id: u64,
                        name: &str,
                        to: &str,
                        from: String,
                        tx_from: String,
                        count: u64,
                        block: u64,
                        seq: u64| {
        json!({
            "id": format!("{}-{id}", tx(label)), "registry": to, "from": from, "txFrom": tx_from,
            "registryId": id.to_string(), "name": name, "count": count.to_string(),
            "blockNumber": block.to_string(), "seq": seq,
        })
    };
    let mut expected = vec![
        // Sent directly: call.from is the account.
        registration(
            "register 1",
            1,
            "one",
            registry,
            account(1),
            account(1),
            1,
            3,
            2,
        ),
        // Internal calls: call.from is the Caller contract.
        registration(
            "registerVia 2",
            2,
            "two",
            registry,
            caller.into(),
            account(2),
            2,
            3,
            4,
        ),
        registration(
            "registerTwice 3",
            3,
            "three",
            registry,
            caller.into(),
            account(3),
            3,
            3,
            7,
        ),
        registration(
            "registerTwice 3",
            4,
            "three",
            registry,
            caller.into(),
            account(3),
            4,
            3,
            8,
        ),
        // Block 4 has none: a caught revert, a failed transaction, and a successful inner call
        // in a failed transaction.
        registration(
            "child register 10",
            10,
            "ten",
            child,
            account(5),
            account(5),
            1,
            6,
            16,
        ),
        registration(
            "register 11",
            11,
            "eleven",
            registry,
            account(6),
            account(6),
            5,
            6,
            14,
        ),
        registration(
            "child registerVia 12",
            12,
            "twelve",
            child,
            caller.into(),
            account(7),
            2,
            7,
            17,
        ),
    ];
    expected.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let got = server
        .all(
            "calls",
            "registrations",
            "id registry from txFrom registryId name count blockNumber seq",
        )
        .await
        .unwrap();
    assert_eq!(got, expected);

    let event = |label: &str, log_index: u64, id: u64, block: u64, seq: u64| {
        json!({
            "id": format!("{}-{log_index}", tx(label)), "registryId": id.to_string(),
            "blockNumber": block.to_string(), "seq": seq,
        })
    };
    let mut expected = vec![
        event("register 1", 0, 1, 3, 1),
        event("registerVia 2", 1, 2, 3, 3),
        event("registerTwice 3", 2, 3, 3, 5),
        event("registerTwice 3", 3, 4, 3, 6),
        event("register 11", 2, 11, 6, 13),
    ];
    expected.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let got = server
        .all("calls", "registeredEvents", "id registryId blockNumber seq")
        .await
        .unwrap();
    assert_eq!(got, expected);

    // The `call` block handler: after the block's other triggers, for every block with a call
    // to the registry that did not itself fail. Block 4 counts (registerThenRevert's inner call
    // succeeded; as in graph-node, only call handlers look at the transaction's status), and so
    // does block 5 (a staticcall of a view function); block 7 only calls the child.
    let mut expected = Vec::new();
    for (number, seq) in [(3u64, 9u64), (4, 10), (5, 11), (6, 15)] {
        expected.push(json!({
            "id": number.to_string(),
            "timestamp": block_timestamp(anvil.url(), number).await.to_string(),
            "seq": seq,
        }));
    }
    let got = server
        .all("calls", "callBlocks", "id timestamp seq")
        .await
        .unwrap();
    assert_eq!(got, expected);

    let data = server
        .query("calls", r#"{ counter(id: "seq") { value } }"#)
        .await
        .unwrap();
    assert_eq!(data["counter"]["value"], json!(17));
}
