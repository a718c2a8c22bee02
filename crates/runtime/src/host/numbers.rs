//! `bigInt.*` and `bigDecimal.*`, with graph-node's semantics (num-bigint 0.2.6 and
//! bigdecimal 0.1.2, through `sprig_value`).

use std::str::FromStr;

use sprig_value::{BigDecimal, BigInt, ValueError};
use wasmtime::{AsContextMut, Caller};

use super::conversion::size;
use super::{compute, HostFuture};
use crate::asc::Reader;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// A binary BigInt operation: read both operands, charge `cost`, compute `op`.
fn big_int_op(
    caller: Caller<'_, HostState>,
    (x, y): (u32, u32),
    cost: fn(usize, usize) -> u64,
    op: fn(&BigInt, &BigInt) -> Result<BigInt, ValueError>,
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| Ok((r.read::<BigInt>(x)?, r.read::<BigInt>(y)?)),
        move |(x, y)| cost(size(x), size(y)),
        move |(x, y)| op(&x, &y).map_err(HostError::deterministic),
    )
}

/// Linear in the larger operand.
fn linear(x: usize, y: usize) -> u64 {
    x.max(y) as u64
}

pub(crate) fn big_int_plus(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, linear, |x, y| Ok(x.plus(y)))
}

pub(crate) fn big_int_minus(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, linear, |x, y| Ok(x.minus(y)))
}

pub(crate) fn big_int_times(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, gas::quadratic, |x, y| Ok(x.times(y)))
}

/// Truncating division; dividing by zero is a deterministic error.
pub(crate) fn big_int_divided_by(
    c: Caller<'_, HostState>,
    args: (u32, u32),
) -> HostFuture<'_, u32> {
    big_int_op(c, args, gas::quadratic, BigInt::divided_by)
}

/// Remainder with the sign of the dividend.
pub(crate) fn big_int_mod(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, gas::quadratic, BigInt::modulo)
}

pub(crate) fn big_int_bit_or(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, linear, |x, y| Ok(x.bit_or(y)))
}

pub(crate) fn big_int_bit_and(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_op(c, args, linear, |x, y| Ok(x.bit_and(y)))
}

/// An operation taking a BigInt and a `u8` (exponent or shift), which graph-ts passes as an
/// `i32`: values above 255 are a deterministic error.
fn big_int_u8_op<'a>(
    caller: Caller<'a, HostState>,
    (x, n): (u32, u32),
    what: &'static str,
    cost: fn(usize, u8) -> u64,
    op: fn(&BigInt, u8) -> Result<BigInt, ValueError>,
) -> HostFuture<'a, u32> {
    compute(
        caller,
        move |r| {
            let x = r.read::<BigInt>(x)?;
            let n = u8::try_from(n)
                .map_err(|_| deterministic!("{what} {n} is out of range: it must fit in a u8"))?;
            Ok((x, n))
        },
        move |(x, n)| cost(size(x), *n),
        move |(x, n)| op(&x, n).map_err(HostError::deterministic),
    )
}

/// `x^exp`; the result must stay within the BigInt size limit.
pub(crate) fn big_int_pow(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_int_u8_op(
        c,
        args,
        "exponent",
        |x, exp| {
            // The result has about x × exp bytes; squaring dominates.
            let result = x.saturating_mul(usize::from(exp));
            gas::quadratic(result, result)
        },
        BigInt::pow,
    )
}

pub(crate) fn big_int_left_shift(
    c: Caller<'_, HostState>,
    args: (u32, u32),
) -> HostFuture<'_, u32> {
    big_int_u8_op(
        c,
        args,
        "shift",
        |x, bits| (x + usize::from(bits) / 8 + 1) as u64,
        |x, bits| Ok(x.shl(bits)),
    )
}

/// Arithmetic shift: rounds toward negative infinity.
pub(crate) fn big_int_right_shift(
    c: Caller<'_, HostState>,
    args: (u32, u32),
) -> HostFuture<'_, u32> {
    big_int_u8_op(c, args, "shift", |x, _| x as u64, |x, bits| Ok(x.shr(bits)))
}

/// `bigInt.fromString(s)`: decimal, optional sign, within the size limit.
pub(crate) fn big_int_from_string(c: Caller<'_, HostState>, (s,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        c,
        move |r| r.read::<String>(s),
        |s| gas::quadratic(s.len(), s.len()),
        |s| BigInt::from_str(&s).map_err(HostError::deterministic),
    )
}

/// `bigInt.dividedByDecimal(x, y)`: `x` as a BigDecimal divided by `y`.
pub(crate) fn big_int_divided_by_decimal(
    c: Caller<'_, HostState>,
    (x, y): (u32, u32),
) -> HostFuture<'_, u32> {
    compute(
        c,
        move |r| Ok((r.read::<BigInt>(x)?, r.read::<BigDecimal>(y)?)),
        |(x, y)| gas::quadratic(size(x), decimal_size(y)),
        |(x, y)| {
            BigDecimal::from(x)
                .divided_by(&y)
                .map_err(HostError::deterministic)
        },
    )
}

/// A binary BigDecimal operation.
fn big_decimal_op(
    caller: Caller<'_, HostState>,
    (x, y): (u32, u32),
    cost: fn(usize, usize) -> u64,
    op: fn(&BigDecimal, &BigDecimal) -> Result<BigDecimal, ValueError>,
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| Ok((r.read::<BigDecimal>(x)?, r.read::<BigDecimal>(y)?)),
        move |(x, y)| cost(decimal_size(x), decimal_size(y)),
        move |(x, y)| op(&x, &y).map_err(HostError::deterministic),
    )
}

/// Size of a BigDecimal's digits in bytes (at most 34 decimal digits after normalization).
fn decimal_size(d: &BigDecimal) -> usize {
    size(&d.digits_and_exp().0)
}

pub(crate) fn big_decimal_plus(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_decimal_op(c, args, linear, |x, y| Ok(x.plus(y)))
}

pub(crate) fn big_decimal_minus(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_decimal_op(c, args, linear, |x, y| Ok(x.minus(y)))
}

pub(crate) fn big_decimal_times(c: Caller<'_, HostState>, args: (u32, u32)) -> HostFuture<'_, u32> {
    big_decimal_op(c, args, gas::quadratic, |x, y| Ok(x.times(y)))
}

/// Long division to 100 digits, normalized to 34; dividing by zero is a deterministic error.
pub(crate) fn big_decimal_divided_by(
    c: Caller<'_, HostState>,
    args: (u32, u32),
) -> HostFuture<'_, u32> {
    big_decimal_op(c, args, gas::quadratic, BigDecimal::divided_by)
}

/// `bigDecimal.equals(x, y): bool`, comparing normalized values.
pub(crate) fn big_decimal_equals(
    mut caller: Caller<'_, HostState>,
    x: u32,
    y: u32,
) -> wasmtime::Result<u32> {
    let mut cx = caller.as_context_mut();
    let mut reader = Reader::new(&mut cx)?;
    let (x, y) = (reader.read::<BigDecimal>(x)?, reader.read::<BigDecimal>(y)?);
    gas::charge(
        &mut cx,
        gas::HOST_CALL + linear(decimal_size(&x), decimal_size(&y)),
    )?;
    Ok(u32::from(x == y))
}

/// `bigDecimal.toString(x)`: plain positional notation, never an exponent.
pub(crate) fn big_decimal_to_string(c: Caller<'_, HostState>, (x,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        c,
        move |r| r.read::<BigDecimal>(x),
        |x| {
            // The digits plus up to |exp| zeros are formatted.
            let zeros = x.exponent().unsigned_abs() as usize;
            gas::quadratic(decimal_size(x), decimal_size(x)) + gas::PER_BYTE_PARSED * zeros as u64
        },
        |x| Ok(x.to_string()),
    )
}

/// `bigDecimal.fromString(s)`: accepts exponents (`1e3`), normalized.
pub(crate) fn big_decimal_from_string(
    c: Caller<'_, HostState>,
    (s,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        c,
        move |r| r.read::<String>(s),
        |s| gas::quadratic(s.len(), s.len()),
        |s| BigDecimal::from_str(&s).map_err(HostError::deterministic),
    )
}
