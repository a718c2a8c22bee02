//! End to end: the legacy example (examples/legacy-erc20: one mapping built by graph-cli 0.20 as
//! apiVersion 0.0.4 and by graph-cli 0.17 as apiVersion 0.0.3, both with AssemblyScript 0.6)
//! indexed by the real `sprig` binary from the erc20 example's chain. Its entities must hold what
//! the apiVersion 0.0.9 erc20 subgraph stores for the same chain, plus the block and transaction
//! fields the chain's raw answers give; the two legacy builds must store the same.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use alloy::dyn_abi::{DynSolType, DynSolValue};
use serde_json::{json, Value};
use support::*;

const TRANSFERS: u32 = 40;

/// Runs `sprig index` on the apiVersion 0.0.3 build, under a name of its own.
fn index_v003(url: &str, db: &Path, until: u64) -> Output {
    sprig()
        .arg("index")
        .arg(repo().join("examples/legacy-erc20/v0.0.3/build/subgraph.yaml"))
        .args([
            "--name",
            "legacy-erc20-v003",
            "--rpc",
            url,
            "--until",
            &until.to_string(),
        ])
        .arg("--db")
        .arg(db)
        .output()
        .expect("sprig runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_mapping_stores_what_the_current_one_does() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), TRANSFERS);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let token = summary["token"].as_str().unwrap().to_lowercase();

    let dir = tempfile::tempdir().unwrap();
    let (legacy_db, current_db) = (
        dir.path().join("legacy.sqlite"),
        dir.path().join("erc20.sqlite"),
    );
    assert_ok(&index("legacy-erc20", anvil.url(), &legacy_db, last_block));
    assert_ok(&index("erc20", anvil.url(), &current_db, last_block));
    let v003_db = dir.path().join("v003.sqlite");
    assert_ok(&index_v003(anvil.url(), &v003_db, last_block));
    let (legacy, current) = (serve(&legacy_db), serve(&current_db));
    let v003 = serve(&v003_db);

    // The token: three eth_calls (one through try_), BigInt sums.
    let fields = "name symbol decimals totalSupply transferCount";
    let query =
        format!(r#"{{ token(id: "{token}") {{ id {fields} }} _meta {{ hasIndexingErrors }} }}"#);
    let got = legacy.query("legacy-erc20", &query).await.unwrap();
    let want = current.query("erc20", &query).await.unwrap();
    assert_eq!(got, want);
    assert_eq!(got["token"]["symbol"], json!("SPRG"));
    assert_eq!(got["_meta"]["hasIndexingErrors"], json!(false));

    // Accounts: BigInt balances and BigDecimal divisions, keyed by the hex string of the
    // address (the current subgraph keys them by the Bytes themselves).
    let got = legacy
        .all(
            "legacy-erc20",
            "accounts",
            "id address balance balanceDecimal",
        )
        .await
        .unwrap();
    let want = current
        .all("erc20", "accounts", "id balance balanceDecimal")
        .await
        .unwrap();
    assert_eq!(got.len(), want.len());
    assert!(got.len() > 5, "{got:?}");
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got["id"], want["id"]);
        assert_eq!(got["address"], want["id"]);
        assert_eq!(got["balance"], want["balance"]);
        assert_eq!(got["balanceDecimal"], want["balanceDecimal"]);
    }

    // Transfers: event parameters, block and transaction fields, @derivedFrom links.
    let common = "from { id } to { id } value blockNumber timestamp transaction";
    let current_transfers: BTreeMap<String, Value> = current
        .all("erc20", "transfers", &format!("id {common}"))
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t))
        .collect();
    let got: BTreeMap<String, Value> = legacy
        .all(
            "legacy-erc20",
            "transfers",
            &format!("id {common} blockHash txFrom txIndex selector logIndex"),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t))
        .collect();
    let transfer_topic = topic0("Transfer(address,address,uint256)");
    let memo_topic = topic0("Memo(address,string,bytes,int64,bool)");
    let logs = logs(anvil.url(), &token, last_block).await;
    let mut want_memos = Vec::new();
    for log in &logs {
        let tx = rpc(
            anvil.url(),
            "eth_getTransactionByHash",
            json!([to_hex(&log.transaction_hash)]),
        )
        .await;
        let id = format!("{}-{}", to_hex(&log.transaction_hash), log.log_index);
        if log.topics[0] == transfer_topic {
            let mut want =
                current_transfers[&concat_i32_id(&log.transaction_hash, log.log_index)].clone();
            want["id"] = json!(id);
            want["blockHash"] = tx["blockHash"].clone();
            want["txFrom"] = tx["from"].clone();
            want["txIndex"] = json!(quantity(&tx["transactionIndex"]).to_string());
            want["selector"] = json!(&tx["input"].as_str().unwrap()[..10]);
            want["logIndex"] = json!(log.log_index.to_string());
            assert_eq!(got.get(&id), Some(&want), "transfer {id}");
        } else if log.topics[0] == memo_topic {
            let ty = DynSolType::Tuple(vec![
                DynSolType::String,
                DynSolType::Bytes,
                DynSolType::Int(64),
                DynSolType::Bool,
            ]);
            let DynSolValue::Tuple(fields) = ty.abi_decode_params(&log.data).unwrap() else {
                panic!("memo data is a tuple");
            };
            let (
                DynSolValue::String(text),
                DynSolValue::Bytes(data),
                DynSolValue::Int(num, _),
                DynSolValue::Bool(flag),
            ) = (&fields[0], &fields[1], &fields[2], &fields[3])
            else {
                panic!("memo fields have the ABI's types");
            };
            want_memos.push(json!({
                "id": id,
                "sender": to_hex(&log.topics[1][12..]),
                "text": text,
                "data": to_hex(data),
                "num": num.to_string(),
                "flag": flag,
                // AssemblyScript's String.length counts UTF-16 units.
                "summary": format!("{text}|{}|{num}", text.encode_utf16().count()),
            }));
        }
    }
    assert_eq!(got.len(), current_transfers.len());
    assert_eq!(
        got.len(),
        summary["transferLogs"].as_u64().unwrap() as usize
    );

    // Memos: strings (empty, non-ASCII, long), bytes, int64 extremes as BigInt, booleans, and
    // string concatenation in the mapping.
    want_memos.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let memos = legacy
        .all(
            "legacy-erc20",
            "memos",
            "id sender text data num flag summary",
        )
        .await
        .unwrap();
    assert_eq!(memos, want_memos);
    assert!(memos
        .iter()
        .any(|m| m["text"].as_str().unwrap().contains("漢字")));
    assert!(memos
        .iter()
        .any(|m| m["num"] == json!(i64::MIN.to_string())));
    let current_memos = current
        .all("erc20", "memos", "sender text data num flag")
        .await
        .unwrap();
    assert_eq!(current_memos.len(), memos.len());

    // Derived fields resolve through the string ids.
    let account = got.values().next().unwrap()["from"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let data = legacy
        .query(
            "legacy-erc20",
            &format!(r#"{{ account(id: "{account}") {{ transfersOut(first: 1000) {{ id }} }} }}"#),
        )
        .await
        .unwrap();
    let want = got
        .values()
        .filter(|t| t["from"]["id"] == json!(account))
        .count();
    assert_eq!(
        data["account"]["transfersOut"].as_array().unwrap().len(),
        want
    );

    // The apiVersion 0.0.3 build (graph-ts 0.17: ethereum.call by function name, imports from
    // module `index`) stores exactly what the 0.0.4 build does.
    for (collection, fields) in [
        (
            "tokens",
            "id name symbol decimals totalSupply transferCount",
        ),
        ("accounts", "id address balance balanceDecimal"),
        (
            "transfers",
            "id from { id } to { id } value blockNumber blockHash timestamp transaction txFrom \
             txIndex selector logIndex",
        ),
        ("memos", "id sender text data num flag summary"),
    ] {
        let want = legacy
            .all("legacy-erc20", collection, fields)
            .await
            .unwrap();
        let got = v003
            .all("legacy-erc20-v003", collection, fields)
            .await
            .unwrap();
        assert!(!want.is_empty(), "{collection}");
        assert_eq!(got, want, "{collection}");
    }
}
