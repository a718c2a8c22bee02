//! `json.*`: parsing JSON (numbers keep their exact text) and converting number texts.

use std::str::FromStr;

use anyhow::Context;
use sprig_value::BigInt;
use wasmtime::{AsContextMut, Caller};

use super::{compute, HostFuture};
use crate::asc::json::JsonResult;
use crate::asc::Reader;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// Largest JSON document a mapping may parse (graph-node's limit).
const MAX_JSON_BYTES: usize = 10_000_000;

fn parse(bytes: &[u8]) -> Result<serde_json::Value, HostError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(deterministic!(
            "JSON size exceeds max size of {MAX_JSON_BYTES}"
        ));
    }
    serde_json::from_slice(bytes)
        .with_context(|| {
            let text = String::from_utf8_lossy(bytes);
            let truncated: String = text.chars().take(1024).collect();
            format!("Failed to parse JSON from byte array. Bytes (truncated to 1024 chars): `{truncated}`")
        })
        .map_err(HostError::deterministic)
}

/// `json.fromBytes(bytes): JSONValue`; invalid or oversized JSON is a deterministic error.
pub(crate) fn from_bytes(caller: Caller<'_, HostState>, (bytes,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| parse(&b),
    )
}

/// `json.try_fromBytes(bytes): Result<JSONValue, bool>`; invalid JSON is an error result. Gas
/// is charged (and can run out) either way.
pub(crate) fn try_from_bytes(
    caller: Caller<'_, HostState>,
    (bytes,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| {
            let parsed = parse(&b);
            if let Err(e) = &parsed {
                tracing::warn!(target: "sprig::mapping", "json.try_fromBytes: {:#}", e.error);
            }
            Ok(JsonResult(parsed.ok()))
        },
    )
}

/// Reads a number text and parses it, charging for its length.
fn number<T>(
    caller: &mut Caller<'_, HostState>,
    text: u32,
    parse: impl FnOnce(&str) -> Option<T>,
    what: &str,
) -> wasmtime::Result<T> {
    let mut cx = caller.as_context_mut();
    let text: String = Reader::new(&mut cx)?.read(text)?;
    gas::charge(
        &mut cx,
        gas::HOST_CALL + gas::PER_BYTE_PARSED * text.len() as u64,
    )?;
    parse(&text).ok_or_else(|| deterministic!("JSON `{text}` cannot be parsed as {what}").into())
}

/// `json.toI64(text): i64`.
pub(crate) fn to_i64(mut caller: Caller<'_, HostState>, text: u32) -> wasmtime::Result<i64> {
    number(&mut caller, text, |s| i64::from_str(s).ok(), "i64")
}

/// `json.toU64(text): u64` (returned as the same 64 bits).
pub(crate) fn to_u64(mut caller: Caller<'_, HostState>, text: u32) -> wasmtime::Result<u64> {
    number(&mut caller, text, |s| u64::from_str(s).ok(), "u64")
}

/// `json.toF64(text): f64`.
pub(crate) fn to_f64(mut caller: Caller<'_, HostState>, text: u32) -> wasmtime::Result<f64> {
    number(&mut caller, text, |s| f64::from_str(s).ok(), "f64")
}

/// `json.toBigInt(text): BigInt`: a decimal integer text.
pub(crate) fn to_big_int(caller: Caller<'_, HostState>, (text,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<String>(text),
        |s| gas::quadratic(s.len(), s.len()),
        |s| BigInt::from_str(&s).map_err(|_| deterministic!("JSON `{s}` is not a decimal string")),
    )
}
