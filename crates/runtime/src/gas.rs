//! Gas: the fuel host functions charge for their own work.
//!
//! Wasm code pays one unit of fuel per instruction (see `config::operator_cost`). Host functions
//! pay in the same unit, in proportion to the work they do, so a mapping cannot hide unbounded
//! work in host calls. A charge is always made *before* the work, so running out inside a host
//! function happens at the same point on every machine: it is deterministic.
//!
//! The constants below are part of consensus: changing one changes where handlers run out of
//! gas. They are rough equivalents in wasm instructions of what the host does.

use wasmtime::StoreContextMut;

use crate::error::{HostError, OutOfGas};
use crate::state::HostState;

/// Every host call: argument handling and dispatch.
pub(crate) const HOST_CALL: u64 = 100;
/// Copying one byte between guest memory and the host, in either direction.
pub(crate) const PER_BYTE_COPIED: u64 = 1;
/// Hashing one byte (Keccak-256).
pub(crate) const PER_BYTE_HASHED: u64 = 4;
/// Parsing or formatting one byte of text (hex, base58, JSON, decimal).
pub(crate) const PER_BYTE_PARSED: u64 = 10;
/// Looking an entity up in the entity cache (and maybe the store).
pub(crate) const STORE_GET: u64 = 10_000;
/// Validating and buffering one entity write or removal.
pub(crate) const STORE_WRITE: u64 = 20_000;
/// Per byte of an entity written (its fields are validated and merged).
pub(crate) const PER_ENTITY_BYTE: u64 = 10;
/// One `log.log` call (the message bytes are charged as copied).
pub(crate) const LOG: u64 = 10_000;
/// Creating a data source from a template: it adds work to every later block.
pub(crate) const DATA_SOURCE_CREATE: u64 = 1_000_000;
/// One `ethereum.call`: a round trip to a node. High enough that a handler cannot make more
/// than a few thousand within its default budget.
pub(crate) const ETHEREUM_CALL: u64 = 5_000_000;
/// One `ethereum.getBalance`: a round trip to a node, priced like `ethereum.call` (as graph-node
/// prices it).
pub(crate) const ETH_GET_BALANCE: u64 = ETHEREUM_CALL;
/// One `ethereum.hasCode`: a round trip to a node, priced like `ethereum.call` (as graph-node
/// prices it).
pub(crate) const ETH_HAS_CODE: u64 = ETHEREUM_CALL;
/// One `store.loadRelated`, on top of [`STORE_GET`] for the query itself: each entity it returns
/// costs what loading it with `store.get` would, so that loading many entities at once is not
/// cheaper than loading them one by one.
pub(crate) const STORE_GET_RELATED_PER_ENTITY: u64 = STORE_GET;

/// Fuel given to each call of the module's `id_of_type` export. The result is cached per module,
/// so whether a trigger makes the call depends on history: the call runs on this separate
/// allowance and the trigger's own fuel is restored afterwards.
pub(crate) const TYPE_ID_FUEL: u64 = 1_000_000;

/// Cost of an operation whose work grows with the product of its operands' sizes (bytes), such
/// as multiplying or dividing big integers, or converting one to decimal.
pub(crate) fn quadratic(a: usize, b: usize) -> u64 {
    let (a, b) = (a as u64, b as u64);
    (a.saturating_mul(b) / 8)
        .saturating_add(a)
        .saturating_add(b)
}

/// Takes `fuel` from the running trigger's budget, or fails deterministically with
/// [`OutOfGas`] (leaving the budget empty) if not enough is left.
pub(crate) fn charge(cx: &mut StoreContextMut<'_, HostState>, fuel: u64) -> Result<(), HostError> {
    if !cx.data().metered {
        return Ok(());
    }
    let left = cx
        .get_fuel()
        .map_err(|e| HostError::non_deterministic(anyhow::Error::from(e)))?;
    let (rest, result) = match left.checked_sub(fuel) {
        Some(rest) => (rest, Ok(())),
        None => (
            0,
            Err(HostError::deterministic(OutOfGas {
                limit: cx.data().gas_limit,
            })),
        ),
    };
    cx.set_fuel(rest)
        .map_err(|e| HostError::non_deterministic(anyhow::Error::from(e)))?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_grows_with_the_product() {
        assert_eq!(quadratic(0, 0), 0);
        assert_eq!(quadratic(32, 32), 128 + 64);
        assert_eq!(quadratic(usize::MAX, usize::MAX), u64::MAX);
    }
}
