//! Shared pieces of the integration tests: the Emitter test contract and a proxy that makes a
//! real node misbehave in chosen ways.

#![allow(dead_code)] // Each test binary uses a different part.

pub mod proxy;

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use sprig_chain::testing::{Anvil, TxRequest};
use sprig_chain::Receipt;

/// Creation code of `contracts/Emitter.sol` (solc 0.8.28 --optimize; rebuild with
/// `contracts/build.sh`).
pub fn emitter_code() -> Bytes {
    alloy::hex::decode(include_str!("../contracts/Emitter.bin").trim())
        .expect("Emitter.bin is hex")
        .into()
}

/// `keccak256(signature)`: the topic 0 of an event.
pub fn topic0(signature: &str) -> B256 {
    keccak256(signature.as_bytes())
}

/// Call data for `signature` with static (word-sized) arguments.
pub fn calldata(signature: &str, args: &[U256]) -> Bytes {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for arg in args {
        data.extend_from_slice(&arg.to_be_bytes::<32>());
    }
    data.into()
}

pub fn ping_topic() -> B256 {
    topic0("Ping(uint256,address)")
}

pub fn pong_topic() -> B256 {
    topic0("Pong(uint256)")
}

/// Calls `signature(args…)` on `contract` in a transaction and returns the receipt.
pub async fn transact(anvil: &Anvil, contract: Address, signature: &str, args: &[u64]) -> Receipt {
    let args: Vec<U256> = args.iter().map(|&a| U256::from(a)).collect();
    anvil
        .send_transaction(TxRequest::call(contract, calldata(signature, &args)))
        .await
        .unwrap_or_else(|e| panic!("{signature}: {e:#}"))
}
