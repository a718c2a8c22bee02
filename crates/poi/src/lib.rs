//! graph-node's proof of indexing (PoI), "fast" algorithm (subgraph spec ≥ 0.0.6), bit for bit.
//!
//! This crate has one job: turn the events an indexer writes (entity sets and removes,
//! deterministic errors), block by block and causality region by causality region, into the
//! per-region digests graph-node stores, and turn those digests into the 32-byte PoI graph-node's
//! index-node API returns. It is pure: no I/O, no wasm, no SQL.
//!
//! - [`StableHasher`] / [`FieldAddress`]: the stable-hash crate's fast hasher.
//! - [`StableHash`]: the encodings of graph-node's values ([`sprig_value::Value`], entities, ...).
//! - [`PoiEvent`], [`RegionBlockPoi`], [`BlockPoi`]: one block's events, and the digest to store.
//! - [`finish_poi`]: the PoI for a block from the stored digests.
//!
//! The legacy algorithm (spec < 0.0.6) is not implemented; a legacy previous digest is only
//! accepted where graph-node's fast algorithm accepts it (sha256'd when mixing in a block).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod encode;
mod event;
mod hasher;
mod poi;

pub use crate::encode::{
    fast_stable_hash, AsBytes, AsInt, AsUnorderedSet, EntityData, StableHash, VID_FIELD,
};
pub use crate::event::PoiEvent;
pub use crate::hasher::{FieldAddress, StableHasher};
pub use crate::poi::{
    causality_region_for_network, finish_poi, BlockPoi, LegacyDigestError, RegionBlockPoi,
    DIGEST_LEN,
};
