//! Functions graph-node links but that always fail deterministically (with its default
//! settings): IPFS access from mappings, which cannot be deterministic, and removed APIs.
//! Linking them lets mappings that import them without calling them load, as in graph-node.

use wasmtime::Caller;

use crate::error::deterministic;
use crate::state::HostState;

fn ipfs_disabled(name: &str) -> wasmtime::Error {
    deterministic!("`{name}` is deprecated. Improved support for IPFS will be added in the future")
        .into()
}

fn removed(name: &str) -> wasmtime::Error {
    deterministic!("`{name}` has been removed.").into()
}

/// `ipfs.cat(hash): Bytes | null`.
pub(crate) fn ipfs_cat(_: Caller<'_, HostState>, _hash: u32) -> wasmtime::Result<u32> {
    Err(ipfs_disabled("ipfs.cat"))
}

/// `ipfs.getBlock(hash): Bytes | null`.
pub(crate) fn ipfs_get_block(_: Caller<'_, HostState>, _hash: u32) -> wasmtime::Result<u32> {
    Err(ipfs_disabled("ipfs.getBlock"))
}

/// `ipfs.map(hash, callback, userData, flags)`.
pub(crate) fn ipfs_map(
    _: Caller<'_, HostState>,
    _hash: u32,
    _callback: u32,
    _user_data: u32,
    _flags: u32,
) -> wasmtime::Result<()> {
    Err(ipfs_disabled("ipfs.map"))
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
