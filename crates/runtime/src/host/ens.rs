//! `ens.nameByHash`: ENS names from their label hashes.
//!
//! graph-node answers from a "rainbow table" of known labels that an operator may load into its
//! database (graph-protocol/ens-rainbow); with the table loaded, a known hash gives its name and
//! an unknown one `null`. Without the table, graph-node fails the handler non-deterministically
//! ("Missing ENS data"), so the subgraph retries the block forever.
//!
//! Sprig has no such table. It answers `null` for every hash: what graph-node answers for a hash
//! its table lacks. Mappings written for ENS handle `null` (the ENS subgraph then names the label
//! by its hash), so such subgraphs index instead of stalling; their entities hold no names that
//! came from the table.

use wasmtime::Caller;

use super::{compute_nullable, HostFuture};
use crate::state::HostState;

/// `ens.nameByHash(hash: string): string | null`: always `null` (see the module docs).
///
/// Charges [`gas::HOST_CALL`](crate::gas::HOST_CALL) and the hash's bytes, like graph-node's flat
/// `ENS_NAME_BY_HASH` (its base cost of a host call).
pub(crate) fn name_by_hash(caller: Caller<'_, HostState>, (hash,): (u32,)) -> HostFuture<'_, u32> {
    compute_nullable(
        caller,
        move |r| r.read::<String>(hash),
        |_| 0,
        |hash| {
            tracing::debug!(target: "sprig::mapping", "ens.nameByHash({hash}): no ENS rainbow table, returning null");
            Ok(None::<String>)
        },
    )
}
