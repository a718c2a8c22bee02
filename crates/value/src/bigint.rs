//! Arbitrary-precision integers with graph-node's semantics (num-bigint 0.2.6, which graph-node
//! pins: truncating division, remainder with the dividend's sign, arithmetic right shift).

use std::fmt;
use std::str::FromStr;

use num_bigint::Sign;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::ValueError;

/// A signed integer of arbitrary size. In wasm memory it is a `Uint8Array` of signed
/// little-endian two's-complement bytes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BigInt(num_bigint::BigInt);

impl BigInt {
    /// graph-node's limit: `bits + 1 <= MAX_BITS` for every BigInt read from a mapping or parsed.
    pub const MAX_BITS: u64 = 435_412;

    pub fn zero() -> Self {
        BigInt(num_bigint::BigInt::zero())
    }

    /// Reads signed little-endian two's-complement bytes; an empty slice is zero.
    pub fn from_signed_bytes_le(bytes: &[u8]) -> Self {
        BigInt(num_bigint::BigInt::from_signed_bytes_le(bytes))
    }

    /// Reads unsigned little-endian bytes.
    pub fn from_unsigned_bytes_le(bytes: &[u8]) -> Self {
        BigInt(num_bigint::BigInt::from_bytes_le(Sign::Plus, bytes))
    }

    /// Reads unsigned big-endian bytes (as Ethereum quantities come).
    pub fn from_unsigned_bytes_be(bytes: &[u8]) -> Self {
        BigInt(num_bigint::BigInt::from_bytes_be(Sign::Plus, bytes))
    }

    /// Reads big-endian two's-complement bytes (an ABI `int<N>` word).
    pub fn from_signed_bytes_be(bytes: &[u8]) -> Self {
        BigInt(num_bigint::BigInt::from_signed_bytes_be(bytes))
    }

    /// Signed little-endian two's-complement bytes; zero is `[0]`.
    pub fn to_signed_bytes_le(&self) -> Vec<u8> {
        self.0.to_signed_bytes_le()
    }

    /// Fails when the value exceeds graph-node's size limit.
    pub fn check_size(self) -> Result<Self, ValueError> {
        let bits = self.0.bits() as u64;
        if bits + 1 > Self::MAX_BITS {
            Err(ValueError::BigIntTooBig(bits + 1))
        } else {
            Ok(self)
        }
    }

    /// Number of bits of the magnitude.
    pub fn bits(&self) -> u64 {
        self.0.bits() as u64
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.0.is_negative()
    }

    pub fn to_i64(&self) -> Option<i64> {
        self.0.to_i64()
    }

    pub fn to_u64(&self) -> Option<u64> {
        self.0.to_u64()
    }

    /// The sign and big-endian magnitude bytes.
    pub fn to_bytes_be(&self) -> (Sign, Vec<u8>) {
        self.0.to_bytes_be()
    }

    /// `0x` and the lowercase hex of the magnitude (the sign is dropped, as graph-node does);
    /// `0x0` for zero.
    pub fn to_hex(&self) -> String {
        format!("0x{}", self.0.abs().to_str_radix(16))
    }

    pub fn plus(&self, other: &BigInt) -> BigInt {
        BigInt(&self.0 + &other.0)
    }

    pub fn minus(&self, other: &BigInt) -> BigInt {
        BigInt(&self.0 - &other.0)
    }

    pub fn times(&self, other: &BigInt) -> BigInt {
        BigInt(&self.0 * &other.0)
    }

    /// Division truncating toward zero.
    pub fn divided_by(&self, other: &BigInt) -> Result<BigInt, ValueError> {
        if other.is_zero() {
            return Err(ValueError::BigIntDivideByZero(self.clone()));
        }
        Ok(BigInt(&self.0 / &other.0))
    }

    /// Remainder with the sign of the dividend.
    pub fn modulo(&self, other: &BigInt) -> Result<BigInt, ValueError> {
        if other.is_zero() {
            return Err(ValueError::BigIntRemainderByZero(self.clone()));
        }
        Ok(BigInt(&self.0 % &other.0))
    }

    pub fn pow(&self, exponent: u8) -> Result<BigInt, ValueError> {
        BigInt(num_traits::pow(self.0.clone(), exponent as usize)).check_size()
    }

    pub fn bit_or(&self, other: &BigInt) -> BigInt {
        BigInt(&self.0 | &other.0)
    }

    pub fn bit_and(&self, other: &BigInt) -> BigInt {
        BigInt(&self.0 & &other.0)
    }

    pub fn shl(&self, bits: u8) -> BigInt {
        BigInt(&self.0 << bits as usize)
    }

    /// Arithmetic shift: rounds toward negative infinity for negative values.
    pub fn shr(&self, bits: u8) -> BigInt {
        BigInt(&self.0 >> bits as usize)
    }

    pub fn inner(&self) -> &num_bigint::BigInt {
        &self.0
    }
}

impl From<num_bigint::BigInt> for BigInt {
    fn from(n: num_bigint::BigInt) -> Self {
        BigInt(n)
    }
}

impl From<i64> for BigInt {
    fn from(n: i64) -> Self {
        BigInt(n.into())
    }
}

impl From<u64> for BigInt {
    fn from(n: u64) -> Self {
        BigInt(n.into())
    }
}

impl From<i32> for BigInt {
    fn from(n: i32) -> Self {
        BigInt(n.into())
    }
}

impl FromStr for BigInt {
    type Err = ValueError;

    /// Decimal with an optional sign; the size limit applies.
    fn from_str(s: &str) -> Result<Self, ValueError> {
        num_bigint::BigInt::from_str(s)
            .map_err(|_| ValueError::InvalidBigInt(s.to_string()))
            .and_then(|n| BigInt(n).check_size())
    }
}

impl fmt::Display for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bytes_round_trip() {
        for n in [0i64, 1, -1, 127, 128, -128, -129, i64::MAX, i64::MIN] {
            let b = BigInt::from(n);
            assert_eq!(BigInt::from_signed_bytes_le(&b.to_signed_bytes_le()), b);
        }
        assert_eq!(BigInt::zero().to_signed_bytes_le(), vec![0]);
        assert_eq!(BigInt::from_signed_bytes_le(&[]), BigInt::zero());
    }

    #[test]
    fn division_truncates_and_remainder_follows_dividend() {
        let (a, b) = (BigInt::from(-7), BigInt::from(2));
        assert_eq!(a.divided_by(&b).unwrap(), BigInt::from(-3));
        assert_eq!(a.modulo(&b).unwrap(), BigInt::from(-1));
        assert!(a.divided_by(&BigInt::zero()).is_err());
    }

    #[test]
    fn right_shift_rounds_toward_negative_infinity() {
        assert_eq!(BigInt::from(-5).shr(1), BigInt::from(-3));
    }

    #[test]
    fn hex_drops_sign() {
        assert_eq!(BigInt::zero().to_hex(), "0x0");
        assert_eq!(BigInt::from(-255).to_hex(), "0xff");
    }
}
