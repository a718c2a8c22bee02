//! `typeConversion.*` and `crypto.keccak256`.

use std::str::FromStr;

use alloy::primitives::{keccak256 as keccak, Address};
use sprig_value::{to_hex, BigInt};
use wasmtime::Caller;

use super::{compute, HostFuture};
use crate::base58;
use crate::error::deterministic;
use crate::gas;
use crate::state::HostState;

/// `typeConversion.bytesToString(bytes): string`: lossy UTF-8 (invalid sequences become
/// U+FFFD), trailing NULs trimmed.
pub(crate) fn bytes_to_string(
    caller: Caller<'_, HostState>,
    (bytes,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| {
            let s = String::from_utf8_lossy(&b);
            Ok(s.trim_end_matches('\u{0}').to_string())
        },
    )
}

/// `typeConversion.bytesToHex(bytes): string`: `0x` and lowercase hex (`0x` when empty).
pub(crate) fn bytes_to_hex(caller: Caller<'_, HostState>, (bytes,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| Ok(to_hex(&b)),
    )
}

/// `typeConversion.bigIntToString(n): string`: decimal with a `-` sign.
pub(crate) fn big_int_to_string(
    caller: Caller<'_, HostState>,
    (n,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<BigInt>(n),
        |n| gas::quadratic(size(n), size(n)),
        |n| Ok(n.to_string()),
    )
}

/// `typeConversion.bigIntToHex(n): string`: `0x` and the minimal hex of the magnitude (the sign
/// is dropped, as graph-node does); `0x0` for zero.
pub(crate) fn big_int_to_hex(caller: Caller<'_, HostState>, (n,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<BigInt>(n),
        |n| gas::PER_BYTE_PARSED * size(n) as u64,
        |n| Ok(n.to_hex()),
    )
}

/// `typeConversion.stringToH160(s): Address`: 40 hex digits, `0x` optional, checksum not
/// verified.
pub(crate) fn string_to_h160(caller: Caller<'_, HostState>, (s,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<String>(s),
        |s| gas::PER_BYTE_PARSED * s.len() as u64,
        |s| {
            Address::from_str(&s)
                .map(|a| a.to_vec())
                .map_err(|_| deterministic!("Failed to convert string to Address: '{s}'"))
        },
    )
}

/// `typeConversion.bytesToBase58(bytes): string` (Bitcoin alphabet).
pub(crate) fn bytes_to_base58(
    caller: Caller<'_, HostState>,
    (bytes,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        // Base conversion is quadratic in the input length.
        |b| gas::quadratic(b.len(), b.len()),
        |b| Ok(base58::encode(&b)),
    )
}

/// `crypto.keccak256(bytes): ByteArray` (32 bytes).
pub(crate) fn keccak256(caller: Caller<'_, HostState>, (bytes,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_HASHED * b.len() as u64,
        |b| Ok(keccak(&b).to_vec()),
    )
}

/// Size of a BigInt in bytes, for gas.
pub(super) fn size(n: &BigInt) -> usize {
    n.bits() as usize / 8 + 1
}
