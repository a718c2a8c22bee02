//! Functions graph-node links that fail here: removed APIs (deterministically, as graph-node),
//! and `ipfs.map`, which Sprig does not implement yet (non-deterministically: indexing halts with
//! a message instead of recording a result). Linking them lets mappings that import them
//! without calling them load, as in graph-node.

use wasmtime::Caller;

use crate::error::{deterministic, HostError};
use crate::state::HostState;

fn removed(name: &str) -> wasmtime::Error {
    deterministic!("`{name}` has been removed.").into()
}

/// `ipfs.map(hash, callback, userData, flags)`.
pub(crate) fn ipfs_map(
    _: Caller<'_, HostState>,
    _hash: u32,
    _callback: u32,
    _user_data: u32,
    _flags: u32,
) -> wasmtime::Result<()> {
    // Not implemented yet: halting with this message is better than recording a failure (or
    // entities) another indexer would not.
    Err(HostError::non_deterministic(anyhow::anyhow!(
        "`ipfs.map` is not supported by Sprig yet (ipfs.cat, ipfs.getBlock are)"
    ))
    .into())
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
