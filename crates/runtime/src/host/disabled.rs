//! Functions graph-node links that fail here: removed APIs (deterministically, as graph-node).
//! Linking them lets mappings that import them without calling them load, as in graph-node.

use wasmtime::Caller;

use crate::error::deterministic;
use crate::state::HostState;

fn removed(name: &str) -> wasmtime::Error {
    deterministic!("`{name}` has been removed.").into()
}

/// `arweave.transactionData(txId)`.
pub(crate) fn arweave_transaction_data(
    _: Caller<'_, HostState>,
    _tx: u32,
) -> wasmtime::Result<u32> {
    Err(removed("arweave.transactionData"))
}

/// `box.profile(address)`.
pub(crate) fn box_profile(_: Caller<'_, HostState>, _address: u32) -> wasmtime::Result<u32> {
    Err(removed("box.profile"))
}
