//! End to end: the factory example. A factory event creates a data source from a template
//! (`dataSource.create`), whose handlers run on the created contracts (one of them in the very
//! block that created it) and `eth_call` them; a block handler runs on every block. Compared with
//! what the raw logs imply. The handlers' calls are also declared (`calls:`): counted through a
//! proxy, every distinct declared call is made once and the handlers' own calls make none.

mod support;
// The chain tests' JSON-RPC proxy, which counts what passes through it.
#[path = "../../chain/tests/support/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::collections::{BTreeMap, BTreeSet};

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::{keccak256 as keccak, U256};
use serde_json::{json, Value};
use support::*;

/// `eth_call`s by function: block, contract and encoded arguments.
type CallsByFunction = BTreeMap<&'static str, BTreeSet<(u64, String, Vec<u8>)>>;

#[tokio::test(flavor = "multi_thread")]
async fn factory_templates_and_block_handler_match_the_chain() {
    let anvil = anvil();
    let summary = emit("factory", anvil.url(), 30);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let factory = summary["factory"].as_str().unwrap().to_lowercase();
    let stray = summary["strayPair"].as_str().unwrap().to_lowercase();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("factory.sqlite");
    let counter = proxy::Proxy::start(anvil.url(), |_, _| proxy::Reply::Forward).await;
    assert_ok(&index("factory", &counter.url, &db, last_block));
    let server = serve(&db);

    // Expected pairs and bumps from the raw logs.
    let created_topic = topic0("PairCreated(address,string,uint256)");
    let bumped_topic = topic0("Bumped(address,uint256,uint256)");
    let mut pairs: BTreeMap<String, Value> = BTreeMap::new();
    for log in logs(anvil.url(), &factory, last_block).await {
        assert_eq!(log.topics[0], created_topic);
        let pair = to_hex(&log.topics[1][12..]);
        let decoded = DynSolType::Tuple(vec![DynSolType::String, DynSolType::Uint(256)])
            .abi_decode_params(&log.data)
            .unwrap();
        let DynSolValue::Tuple(fields) = decoded else {
            panic!("PairCreated data is a tuple")
        };
        let (DynSolValue::String(label), DynSolValue::Uint(index, _)) = (&fields[0], &fields[1])
        else {
            panic!("PairCreated fields have the ABI's types")
        };
        pairs.insert(
            pair.clone(),
            json!({
                "id": pair, "label": label, "labelFromCall": label, "index": index.to_string(),
                "createdAtBlock": log.block_number.to_string(),
                "count": "0", "countFromEvents": "0", "bumpCount": 0,
            }),
        );
    }
    assert_eq!(pairs.len(), 3);
    let mut bumps: Vec<Value> = Vec::new();
    for (address, pair) in pairs.iter_mut() {
        let mut sum = U256::ZERO;
        let mut count = 0;
        for log in logs(anvil.url(), address, last_block).await {
            assert_eq!(log.topics[0], bumped_topic);
            let by = U256::from_be_slice(&log.data[..32]);
            let new_count = U256::from_be_slice(&log.data[32..64]);
            sum += by;
            count += 1;
            bumps.push(json!({
                "id": concat_i32_id(&log.transaction_hash, log.log_index),
                "pair": { "id": address },
                "caller": to_hex(&log.topics[1][12..]),
                "by": by.to_string(),
                "newCount": new_count.to_string(),
                "blockNumber": log.block_number.to_string(),
            }));
        }
        pair["countFromEvents"] = json!(sum.to_string());
        // count() read at the last bump's block equals the sum once all bumps are in.
        pair["count"] = json!(sum.to_string());
        pair["bumpCount"] = json!(count);
    }
    bumps.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    // The emit script's own account of the bumps agrees (a check on the expectation).
    for p in summary["pairs"].as_array().unwrap() {
        let address = p["address"].as_str().unwrap().to_lowercase();
        assert_eq!(pairs[&address]["count"], p["count"], "{address}");
    }

    let got = server
        .all(
            "factory",
            "pairs",
            "id label labelFromCall index createdAtBlock count countFromEvents bumpCount",
        )
        .await
        .unwrap();
    assert_eq!(got, pairs.values().cloned().collect::<Vec<_>>());

    let got = server
        .all(
            "factory",
            "bumps",
            "id pair { id } caller by newCount blockNumber",
        )
        .await
        .unwrap();
    assert_eq!(got, bumps);
    assert!(
        !got.iter().any(|b| b["pair"]["id"] == json!(stray)),
        "bumps of a pair the factory did not create are ignored"
    );
    // The pair created and bumped in one block: its bump in the creation block was indexed.
    let gamma = pairs
        .values()
        .find(|p| p["label"] == json!("gamma ✓"))
        .unwrap();
    assert!(bumps
        .iter()
        .any(|b| b["pair"]["id"] == gamma["id"] && b["blockNumber"] == gamma["createdAtBlock"]));

    // @derivedFrom on the template's entities.
    for (address, pair) in &pairs {
        let data = server
            .query(
                "factory",
                &format!(
                    r#"{{ pair(id: "{address}") {{ bumps(first: 1000, orderBy: id) {{ id }} }} }}"#
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            data["pair"]["bumps"].as_array().unwrap().len() as u64,
            pair["bumpCount"].as_u64().unwrap()
        );
    }

    // Declared calls: `label()` per created pair, `count()` and the reverting
    // `pairs(by)` per bumped pair and block, each distinct call once (beta is bumped twice in
    // one block). The handlers' own `label()` and `count()` calls were answered from them: not
    // one more `eth_call` reached the node, and the revert failed no handler.
    let mut expected: CallsByFunction = BTreeMap::new();
    for log in logs(anvil.url(), &factory, last_block).await {
        let pair = to_hex(&log.topics[1][12..]);
        expected
            .entry("label()")
            .or_default()
            .insert((log.block_number, pair, vec![]));
    }
    for address in pairs.keys() {
        for log in logs(anvil.url(), address, last_block).await {
            let key = (log.block_number, address.clone(), vec![]);
            expected.entry("count()").or_default().insert(key);
            let by = log.data[..32].to_vec();
            let key = (log.block_number, address.clone(), by);
            expected.entry("pairs(uint256)").or_default().insert(key);
        }
    }
    let mut made: CallsByFunction = BTreeMap::new();
    let calls = counter.params("eth_call");
    for params in &calls {
        let to = params[0]["to"].as_str().unwrap().to_lowercase();
        let data = hex(params[0]["data"].as_str().unwrap());
        let hash = params[1]["blockHash"].as_str().unwrap();
        let block = rpc(anvil.url(), "eth_getBlockByHash", json!([hash, false])).await;
        let function = ["label()", "count()", "pairs(uint256)"]
            .into_iter()
            .find(|f| data[..4] == keccak(f)[..4])
            .unwrap_or_else(|| panic!("an eth_call of an undeclared function: {params}"));
        made.entry(function).or_default().insert((
            quantity(&block["number"]),
            to,
            data[4..].to_vec(),
        ));
    }
    assert_eq!(made, expected);
    let distinct: usize = expected.values().map(BTreeSet::len).sum();
    assert_eq!(calls.len(), distinct, "each declared call is made once");
    assert_eq!(expected["label()"].len(), 3);
    assert_eq!(
        expected["count()"].len() + 1,
        bumps.len(),
        "one block bumps beta twice"
    );

    // The block handler ran on every block from genesis to the last one.
    let data = server
        .query(
            "factory",
            r#"{ blockStat(id: "latest") { number timestamp count } }"#,
        )
        .await
        .unwrap();
    assert_eq!(
        data["blockStat"],
        json!({
            "number": last_block.to_string(),
            "timestamp": block_timestamp(anvil.url(), last_block).await.to_string(),
            "count": last_block + 1,
        })
    );
}
