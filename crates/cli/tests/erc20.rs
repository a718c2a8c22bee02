//! End to end: the erc20 example on a real anvil chain, indexed by the real `sprig` binary in two
//! runs (a restart in the middle), served over GraphQL, and compared entity by entity with what
//! the chain's raw logs imply.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::U256;
use serde_json::{json, Value};
use support::num_like::Signed;
use support::*;

const TRANSFERS: u32 = 400;

#[tokio::test(flavor = "multi_thread")]
async fn erc20_entities_match_the_chain() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), TRANSFERS);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let token = summary["token"].as_str().unwrap().to_lowercase();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("erc20.sqlite");
    // Two runs: the second resumes after the first's last committed block.
    let mid = last_block / 2;
    assert_ok(&index("erc20", anvil.url(), &db, mid));
    assert_ok(&index("erc20", anvil.url(), &db, last_block));
    // The proof of indexing of the interrupted run equals that of one uninterrupted run.
    let single = dir.path().join("single.sqlite");
    assert_ok(&index("erc20", anvil.url(), &single, last_block));
    assert_eq!(
        poi(&db, "erc20", last_block),
        poi(&single, "erc20", last_block)
    );
    assert_eq!(poi(&db, "erc20", mid), poi(&single, "erc20", mid));
    assert_ne!(poi(&db, "erc20", mid), poi(&db, "erc20", last_block));

    let expected = Expected::from_chain(anvil.url(), &token, last_block).await;
    let server = serve(&db);

    let data = server
        .query(
            "erc20",
            &format!(
                r#"{{ token(id: "{token}") {{ id name symbol decimals totalSupply transferCount }}
                     _meta {{ block {{ number }} deployment hasIndexingErrors }} }}"#
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        data["token"],
        json!({
            "id": token,
            "name": "Sprig Token",
            "symbol": "SPRG",
            "decimals": 18,
            "totalSupply": expected.total_supply.to_decimal(),
            "transferCount": expected.transfers.len().to_string(),
        })
    );
    assert_eq!(data["_meta"]["block"]["number"], json!(last_block));
    assert_eq!(data["_meta"]["hasIndexingErrors"], json!(false));
    assert_eq!(data["_meta"]["deployment"], json!("erc20"));

    // Every account, with its balance as an integer and as a decimal.
    let accounts = server
        .all("erc20", "accounts", "id balance balanceDecimal")
        .await
        .unwrap();
    let got: BTreeMap<String, (String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                (
                    a["balance"].as_str().unwrap().to_string(),
                    a["balanceDecimal"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    let want: BTreeMap<String, (String, String)> = expected
        .balances
        .iter()
        .map(|(id, b)| (id.clone(), (b.to_decimal(), decimal_string(b, 18))))
        .collect();
    assert_eq!(got, want);
    // The chain's own view agrees (a check on the expectation, not on Sprig).
    for (account, balance) in summary["balances"].as_object().unwrap() {
        assert_eq!(
            want[&account.to_lowercase()].0,
            balance.as_str().unwrap(),
            "{account}"
        );
    }

    // Every transfer, field by field.
    let transfers = server
        .all(
            "erc20",
            "transfers",
            "id from { id } to { id } value blockNumber timestamp transaction",
        )
        .await
        .unwrap();
    let got: BTreeMap<String, Value> = transfers
        .into_iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t))
        .collect();
    assert_eq!(got.len(), expected.transfers.len());
    for (id, want) in &expected.transfers {
        assert_eq!(got.get(id), Some(want), "transfer {id}");
    }

    // Memos: empty strings and bytes, int64 extremes, non-ASCII text.
    let memos = server
        .all("erc20", "memos", "id sender text data num numI64 flag")
        .await
        .unwrap();
    assert_eq!(memos, expected.memos);
    assert!(memos.iter().any(|m| m["text"] == json!("")));
    assert!(memos.iter().any(|m| m["data"] == json!("0x")));
    assert!(memos
        .iter()
        .any(|m| m["numI64"] == json!(i64::MIN.to_string())));
    assert!(memos
        .iter()
        .any(|m| m["numI64"] == json!(i64::MAX.to_string())));
    assert!(memos
        .iter()
        .any(|m| m["text"].as_str().unwrap().contains("漢字")));

    // @derivedFrom fields, with arguments, for the busiest accounts.
    for (account, _) in expected.balances.iter().take(4) {
        let data = server
            .query(
                "erc20",
                &format!(
                    r#"{{ account(id: "{account}") {{
                          transfersOut(first: 1000, orderBy: id) {{ id }}
                          transfersIn(first: 1000, orderBy: id, where: {{ value_gt: "0" }}) {{ id }} }} }}"#
                ),
            )
            .await
            .unwrap();
        let ids = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect()
        };
        let want_out: BTreeSet<String> = expected
            .transfers
            .iter()
            .filter(|(_, t)| t["from"]["id"] == json!(account))
            .map(|(id, _)| id.clone())
            .collect();
        let want_in: BTreeSet<String> = expected
            .transfers
            .iter()
            .filter(|(_, t)| t["to"]["id"] == json!(account) && t["value"] != json!("0"))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(
            ids(&data["account"]["transfersOut"]),
            want_out,
            "{account} out"
        );
        assert_eq!(
            ids(&data["account"]["transfersIn"]),
            want_in,
            "{account} in"
        );
    }

    // Collections: numeric ordering on BigInt, filters, pagination.
    let data = server
        .query(
            "erc20",
            "{ accounts(first: 3, orderBy: balance, orderDirection: desc) { id balance } }",
        )
        .await
        .unwrap();
    let mut by_balance: Vec<(&String, &Signed)> = expected.balances.iter().collect();
    by_balance.sort_by(|a, b| compare(b.1, a.1).then(a.0.cmp(b.0)));
    let want: Vec<Value> = by_balance
        .iter()
        .take(3)
        .map(|(id, b)| json!({"id": id, "balance": b.to_decimal()}))
        .collect();
    assert_eq!(data["accounts"], json!(want));
}

fn compare(a: &Signed, b: &Signed) -> std::cmp::Ordering {
    match (a.negative, b.negative) {
        (false, false) => a.magnitude.cmp(&b.magnitude),
        (true, true) => b.magnitude.cmp(&a.magnitude),
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
    }
}

/// What the subgraph's mapping implies, computed from the raw logs.
struct Expected {
    balances: BTreeMap<String, Signed>,
    total_supply: Signed,
    transfers: BTreeMap<String, Value>,
    memos: Vec<Value>,
}

impl Expected {
    async fn from_chain(url: &str, token: &str, last_block: u64) -> Expected {
        let transfer_topic = topic0("Transfer(address,address,uint256)");
        let memo_topic = topic0("Memo(address,string,bytes,int64,bool)");
        let zero = to_hex(&[0u8; 20]);
        let mut e = Expected {
            balances: BTreeMap::new(),
            total_supply: Signed::default(),
            transfers: BTreeMap::new(),
            memos: Vec::new(),
        };
        let mut timestamps = BTreeMap::new();
        for log in logs(url, token, last_block).await {
            if log.topics[0] == transfer_topic {
                let from = to_hex(&log.topics[1][12..]);
                let to = to_hex(&log.topics[2][12..]);
                let value = U256::from_be_slice(&log.data);
                if from == zero {
                    e.total_supply = e.total_supply.add(value);
                }
                if to == zero {
                    e.total_supply = e.total_supply.sub(value);
                }
                let entry = e.balances.entry(from.clone()).or_default();
                *entry = entry.sub(value);
                let entry = e.balances.entry(to.clone()).or_default();
                *entry = entry.add(value);
                let timestamp = match timestamps.get(&log.block_number) {
                    Some(t) => *t,
                    None => {
                        let t = block_timestamp(url, log.block_number).await;
                        timestamps.insert(log.block_number, t);
                        t
                    }
                };
                let id = concat_i32_id(&log.transaction_hash, log.log_index);
                e.transfers.insert(
                    id.clone(),
                    json!({
                        "id": id,
                        "from": { "id": from },
                        "to": { "id": to },
                        "value": value.to_string(),
                        "blockNumber": log.block_number.to_string(),
                        "timestamp": timestamp.to_string(),
                        "transaction": to_hex(&log.transaction_hash),
                    }),
                );
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
                let id = concat_i32_id(&log.transaction_hash, log.log_index);
                e.memos.push(json!({
                    "id": id,
                    "sender": to_hex(&log.topics[1][12..]),
                    "text": text,
                    "data": to_hex(data),
                    "num": num.to_string(),
                    "numI64": num.to_string(),
                    "flag": flag,
                }));
            }
        }
        e.memos
            .sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        e
    }
}
