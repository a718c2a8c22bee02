//! What the runtime needs from the chain while a handler runs: `eth_call` at the trigger's block.

use std::future::Future;
use std::pin::Pin;

use alloy::primitives::{Address, Bytes};
use sprig_value::BlockPtr;

/// The outcome of an `eth_call` that reached the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// The call returned this data.
    Success(Bytes),
    /// The call reverted. The mapping sees `null` (a `try_` binding sees `reverted`).
    Revert,
}

/// Makes contract calls for `ethereum.call`.
///
/// An `Err` means the node could not answer (connection, timeout, server error): it is a
/// non-deterministic failure and the block is retried. A revert is a result, not an error.
pub trait EthereumCalls: Send + Sync {
    /// Calls `to` with `data` at `block` (by hash where the node supports it).
    fn call(
        &self,
        to: Address,
        data: Bytes,
        block: BlockPtr,
    ) -> Pin<Box<dyn Future<Output = Result<CallResult, anyhow::Error>> + Send + '_>>;
}
