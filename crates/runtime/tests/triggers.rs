//! The trigger objects a mapping receives, read back through what the handler stored.

mod common;

use std::sync::Arc;

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::U256;
use common::*;
use sprig_runtime::MappingTrigger;
use sprig_value::{BigInt, Value};

#[tokio::test]
async fn empty_handler_runs() {
    let result = Run::new("noop").ok().await;
    assert!(result.gas_used > 0);
}

#[tokio::test]
async fn block_handler_sees_the_block() {
    let mut result = Run::new("handleBlock").ok().await;
    let t = entity(&mut result, "TriggerData", "block");
    let b = block(12);
    assert_eq!(t["blockNumber"], Value::BigInt(BigInt::from(12u64)));
    assert_eq!(t["blockHash"], Value::Bytes(b.hash.to_vec()));
    assert_eq!(t["parentHash"], Value::Bytes(b.parent_hash.to_vec()));
    assert_eq!(t["author"], Value::Bytes(b.author.to_vec()));
    assert_eq!(
        t["blockTimestamp"],
        Value::BigInt(BigInt::from(1_700_000_000u64))
    );
    assert_eq!(t["gasLimit"], Value::BigInt(BigInt::from(30_000_000u64)));
    assert_eq!(
        t["baseFeePerGas"],
        Value::BigInt(BigInt::from(7_000_000_000u64))
    );
    assert_eq!(t["size"], Value::BigInt(BigInt::from(1234u64)));
}

#[tokio::test]
async fn event_handler_sees_block_transaction_params_and_receipt() {
    let b = Arc::new(block(12));
    let trigger = MappingTrigger::Event {
        log: Arc::new(log()),
        params: vec![
            ("from".to_string(), DynSolValue::Address(address(0xf1))),
            ("to".to_string(), DynSolValue::Address(address(0x02))),
            (
                "value".to_string(),
                DynSolValue::Uint(U256::from(1000u64), 256),
            ),
        ],
        block: b.clone(),
        transaction: Some(Arc::new(transaction())),
        receipt: Some(Arc::new(receipt())),
    };
    let mut result = Run::new("handleTransfer").trigger(trigger).ok().await;
    let t = entity(&mut result, "TriggerData", "event");
    let tx = transaction();
    assert_eq!(t["blockNumber"], Value::BigInt(BigInt::from(12u64)));
    assert_eq!(t["blockHash"], Value::Bytes(b.hash.to_vec()));
    assert_eq!(t["txHash"], Value::Bytes(tx.hash.to_vec()));
    assert_eq!(t["txIndex"], Value::BigInt(BigInt::from(3u64)));
    assert_eq!(t["txFrom"], Value::Bytes(address(0xf1).to_vec()));
    assert_eq!(t["txTo"], Value::Bytes(address(0x70).to_vec()));
    assert_eq!(
        t["txValue"],
        Value::BigInt("1000000000000000000".parse().unwrap())
    );
    assert_eq!(
        t["txGasPrice"],
        Value::BigInt(BigInt::from(8_000_000_000u64))
    );
    assert_eq!(t["txNonce"], Value::BigInt(BigInt::from(42u64)));
    assert_eq!(t["txInput"], Value::Bytes(vec![0xa9, 0x05, 0x9c, 0xbb]));
    assert_eq!(t["address"], Value::Bytes(DATA_SOURCE_ADDRESS.to_vec()));
    assert_eq!(t["logIndex"], Value::BigInt(BigInt::from(5u64)));
    assert_eq!(t["paramFrom"], Value::Bytes(address(0xf1).to_vec()));
    assert_eq!(t["paramTo"], Value::Bytes(address(0x02).to_vec()));
    assert_eq!(t["paramValue"], Value::BigInt(BigInt::from(1000u64)));
    assert_eq!(t["receiptGasUsed"], Value::BigInt(BigInt::from(21_000u64)));
    assert_eq!(t["receiptStatus"], Value::BigInt(BigInt::from(1u64)));
    assert_eq!(t["receiptLogCount"], Value::Int(1));
    assert_eq!(t["receiptLogTopic"], Value::Bytes(b256(0xdd).to_vec()));
}

/// Modules are shared across threads and a trigger's future can be spawned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_run_concurrently_on_spawned_tasks() {
    fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    let module = module();
    shareable(&module);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let module = module.clone();
            tokio::spawn(async move { Run::new("bigIntOps").on(&module).await.gas_used })
        })
        .collect();
    let mut used = Vec::new();
    for task in tasks {
        used.push(task.await.unwrap());
    }
    assert!(used.windows(2).all(|w| w[0] == w[1]), "{used:?}");
}
