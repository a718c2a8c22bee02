//! What the runtime needs from the chain while a handler runs: `eth_call`, `eth_getBalance` and
//! `eth_getCode` at the trigger's block.

use std::future::Future;
use std::pin::Pin;

use alloy::primitives::{Address, Bytes, U256};
use sprig_value::BlockPtr;

/// The outcome of an `eth_call` that reached the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// The call returned this data.
    Success(Bytes),
    /// The call reverted. The mapping sees `null` (a `try_` binding sees `reverted`).
    Revert,
}

/// A boxed future answered by the node.
pub type ChainFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, anyhow::Error>> + Send + 'a>>;

/// Reads chain state for `ethereum.call`, `ethereum.getBalance` and `ethereum.hasCode`.
///
/// Every method asks about the state at `block`, the trigger's block (by hash where the node
/// supports it, so that a reorganised block makes the request fail instead of answering for
/// another block). An `Err` means the node could not answer (connection, timeout, server error,
/// unknown block): it is a non-deterministic failure and the block is retried. A revert is a
/// result, not an error.
pub trait EthereumCalls: Send + Sync {
    /// Calls `to` with `data` at `block` (`eth_call`).
    fn call(&self, to: Address, data: Bytes, block: BlockPtr) -> ChainFuture<'_, CallResult>;

    /// The balance of `address` in wei at `block` (`eth_getBalance`).
    fn get_balance(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, U256>;

    /// The code deployed at `address` at `block` (`eth_getCode`); empty for an account without
    /// code.
    fn get_code(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, Bytes>;
}
