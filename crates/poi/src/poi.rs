//! Accumulating one block's events per causality region (graph-node's online `BlockEventStream`
//! and `ProofOfIndexing`), and finishing a PoI at query time (`ProofOfIndexingFinisher`).

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::encode::{AsBytes, StableHash};
use crate::event::PoiEvent;
use crate::hasher::{FieldAddress, StableHasher};

/// The length of a fast-algorithm digest ([`StableHasher::to_bytes`]).
pub const DIGEST_LEN: usize = 32;

/// The causality region of every onchain trigger of a data source on `network`:
/// `"ethereum/" + network`.
pub fn causality_region_for_network(network: &str) -> String {
    format!("ethereum/{network}")
}

/// One block's PoI events in one causality region.
///
/// Conceptually the PoI hashes `{ regions: map<name, { blocks: [ { events: [...] } ] }>, ... }`;
/// event `j` of block `b` lives at address `[1, 0, b, 0, j]` from the root of the region's map
/// entry (value → `blocks` → `[b]` → `events` → `[j]`).
#[derive(Clone, Debug)]
pub struct RegionBlockPoi {
    block_number: u64,
    events: u64,
    trigger_start: u64,
    state: StableHasher,
}

impl RegionBlockPoi {
    /// An empty stream for block `block_number`.
    pub fn new(block_number: u64) -> Self {
        RegionBlockPoi {
            block_number,
            events: 0,
            trigger_start: 0,
            state: StableHasher::new(),
        }
    }

    /// The block this stream belongs to.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// The number of events written so far in this block.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    /// Marks the start of a trigger (graph-node's `start_handler`), for
    /// [`RegionBlockPoi::write_deterministic_error`].
    pub fn start_trigger(&mut self) {
        self.trigger_start = self.events;
    }

    /// Appends one event.
    pub fn write(&mut self, event: &PoiEvent) {
        let addr = FieldAddress::path(&[1, 0, self.block_number, 0, self.events]);
        event.stable_hash(addr, &mut self.state);
        self.events += 1;
    }

    /// Appends a [`PoiEvent::DeterministicError`] redacting the events written since the last
    /// [`RegionBlockPoi::start_trigger`]; returns that count.
    pub fn write_deterministic_error(&mut self) -> u64 {
        let redacted_events = self.events - self.trigger_start;
        self.write(&PoiEvent::DeterministicError { redacted_events });
        redacted_events
    }

    /// Ends the block (graph-node's `pause`): writes the event count at `[1, 0, b, 0]` and mixes
    /// in the region's previous digest, if any. A previous digest that is not 32 bytes (a legacy
    /// digest) is replaced by its sha256 first, as graph-node does. Returns the 32-byte digest to
    /// store for this region (entity `Poi$`, id = region name).
    pub fn finish(mut self, previous_digest: Option<&[u8]>) -> Vec<u8> {
        self.events.stable_hash(
            FieldAddress::path(&[1, 0, self.block_number, 0]),
            &mut self.state,
        );
        if let Some(prev) = previous_digest {
            let bytes: [u8; DIGEST_LEN] = match <[u8; DIGEST_LEN]>::try_from(prev) {
                Ok(bytes) => bytes,
                Err(_) => Sha256::digest(prev).into(),
            };
            self.state.mixin(&StableHasher::from_bytes(bytes));
        }
        self.state.to_bytes().to_vec()
    }
}

/// One block's PoI streams, one per causality region touched (graph-node's `ProofOfIndexing`).
///
/// A region is touched by [`BlockPoi::start_trigger`] or by writing to it; every touched region
/// gets a new digest at the end of the block, even if no event was written (the digest is then
/// unchanged, or the empty-hasher state if the region had none).
#[derive(Clone, Debug)]
pub struct BlockPoi {
    block_number: u64,
    regions: BTreeMap<String, RegionBlockPoi>,
}

impl BlockPoi {
    /// No regions yet, for block `block_number`.
    pub fn new(block_number: u64) -> Self {
        BlockPoi {
            block_number,
            regions: BTreeMap::new(),
        }
    }

    /// The block number.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    fn region(&mut self, region: &str) -> &mut RegionBlockPoi {
        let block_number = self.block_number;
        self.regions
            .entry(region.to_owned())
            .or_insert_with(|| RegionBlockPoi::new(block_number))
    }

    /// Marks the start of a trigger in `region` (call once per trigger that matched at least
    /// one host, before running its handlers).
    pub fn start_trigger(&mut self, region: &str) {
        self.region(region).start_trigger()
    }

    /// Appends `event` to `region`.
    pub fn write(&mut self, region: &str, event: &PoiEvent) {
        self.region(region).write(event)
    }

    /// Appends a deterministic-error event to `region` (see
    /// [`RegionBlockPoi::write_deterministic_error`]); returns the redacted count.
    pub fn write_deterministic_error(&mut self, region: &str) -> u64 {
        self.region(region).write_deterministic_error()
    }

    /// Whether no region was touched (then nothing is stored for this block).
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The touched regions and their streams, by name.
    pub fn into_regions(self) -> impl Iterator<Item = (String, RegionBlockPoi)> {
        self.regions.into_iter()
    }

    /// Finishes every touched region; `previous` gives a region's stored digest as of the
    /// previous block. Returns `(region, new digest)` pairs sorted by region name.
    pub fn finish<F>(self, mut previous: F) -> Vec<(String, Vec<u8>)>
    where
        F: FnMut(&str) -> Option<Vec<u8>>,
    {
        self.regions
            .into_iter()
            .map(|(name, stream)| {
                let prev = previous(&name);
                let digest = stream.finish(prev.as_deref());
                (name, digest)
            })
            .collect()
    }
}

/// A stored region digest that the fast finisher cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyDigestError {
    /// The region whose digest is not 32 bytes.
    pub region: String,
    /// The digest's length.
    pub len: usize,
}

impl fmt::Display for LegacyDigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PoI digest of causality region {:?} is {} bytes, not {DIGEST_LEN}: a legacy digest, \
             which the fast algorithm cannot finish",
            self.region, self.len
        )
    }
}

impl std::error::Error for LegacyDigestError {}

/// The proof of indexing at block `block_number` (hash `block_hash`) of deployment `deployment`
/// (its IPFS hash, `Qm…`), for `indexer` (`None`, or the zero address for public PoIs), from the
/// stored digest of every region as of that block (graph-node's `ProofOfIndexingFinisher`).
///
/// The order of `regions` does not matter; each region must appear once. A digest that is not
/// 32 bytes (legacy) is an error.
pub fn finish_poi(
    deployment: &str,
    block_hash: [u8; 32],
    indexer: Option<[u8; 20]>,
    block_number: u64,
    regions: &[(String, Vec<u8>)],
) -> Result<[u8; 32], LegacyDigestError> {
    let root = FieldAddress::ROOT;
    let mut outer = StableHasher::new();
    // PoI.subgraph_id (field 1): DeploymentHash, a newtype whose string is at child(0).
    deployment.stable_hash(root.child(1).child(0), &mut outer);
    // PoI.block_hash (field 2): raw bytes.
    AsBytes(&block_hash).stable_hash(root.child(2), &mut outer);
    // PoI.indexer (field 3): Option of raw bytes.
    indexer
        .as_ref()
        .map(|a| AsBytes(a))
        .stable_hash(root.child(3), &mut outer);

    for (name, digest) in regions {
        let bytes =
            <[u8; DIGEST_LEN]>::try_from(digest.as_slice()).map_err(|_| LegacyDigestError {
                region: name.clone(),
                len: digest.len(),
            })?;
        let mut region = StableHasher::from_bytes(bytes);
        // The `blocks` vector's length: blocks 0..=N.
        (block_number + 1).stable_hash(root.child(1).child(0), &mut region);
        // The map key.
        name.stable_hash(root.child(0), &mut region);
        // PoI.causality_regions (field 0), an unordered map: one write per entry.
        outer.write(root.child(0), &region.to_bytes());
    }

    Ok(alloy::primitives::keccak256(outer.finish().to_le_bytes()).0)
}
