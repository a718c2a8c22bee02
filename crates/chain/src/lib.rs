//! The chain source: Ethereum data over JSON-RPC, and the block, transaction, log and receipt
//! types the rest of Sprig uses.
//!
//! [`types`] holds plain data with the fields graph-node hands to mappings, independent of how they
//! were fetched. [`rpc`] fetches them with alloy: logs and traces over block ranges, blocks,
//! receipts and `eth_call` at a block.
//!
//! Architecture invariant: this crate knows nothing about subgraphs, wasm or storage. Errors it
//! returns are non-deterministic (the node's fault), except a revert, which is a result.

pub mod rpc;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;

pub use types::{Block, Call, Log, Receipt, Trace, Transaction};
