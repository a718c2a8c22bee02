//! The events that enter the proof of indexing.

use sprig_value::Entity;

use crate::encode::{EntityData, StableHash};
use crate::hasher::{FieldAddress, StableHasher};

/// One PoI event, graph-node's `ProofOfIndexingEvent`.
#[derive(Clone, Debug, PartialEq)]
pub enum PoiEvent {
    /// `store.remove(entity_type, id)`, with the raw strings the mapping passed.
    RemoveEntity {
        /// The entity type name.
        entity_type: String,
        /// The id as the mapping passed it.
        id: String,
    },
    /// `store.set(entity_type, id, data)`.
    SetEntity {
        /// The entity type name.
        entity_type: String,
        /// The key's id as a string (Bytes ids as `0x` + lowercase hex, Int8 in decimal).
        id: String,
        /// The entity as passed to `set`, after adding `id` and dropping non-schema fields
        /// (a `vid` field, if present, is ignored).
        data: Entity,
    },
    /// A trigger produced a new deterministic error.
    DeterministicError {
        /// How many events were written in this causality region since the trigger started
        /// (their effects are not stored).
        redacted_events: u64,
    },
}

impl PoiEvent {
    /// The variant tag written at the event's own address.
    fn tag(&self) -> u8 {
        match self {
            PoiEvent::RemoveEntity { .. } => 1,
            PoiEvent::SetEntity { .. } => 2,
            PoiEvent::DeterministicError { .. } => 3,
        }
    }
}

/// Fields at `child(0)`, `child(1)`, ... then the variant tag (1 remove, 2 set, 3 error) at the
/// address itself.
impl StableHash for PoiEvent {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        match self {
            PoiEvent::RemoveEntity { entity_type, id } => {
                entity_type.stable_hash(addr.child(0), state);
                id.stable_hash(addr.child(1), state);
            }
            PoiEvent::SetEntity {
                entity_type,
                id,
                data,
            } => {
                entity_type.stable_hash(addr.child(0), state);
                id.stable_hash(addr.child(1), state);
                EntityData(data).stable_hash(addr.child(2), state);
            }
            PoiEvent::DeterministicError { redacted_events } => {
                redacted_events.stable_hash(addr.child(0), state);
            }
        }
        state.write(addr, &[self.tag()]);
    }
}
