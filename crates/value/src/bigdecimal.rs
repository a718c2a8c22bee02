//! Decimal numbers with graph-node's semantics: bigdecimal 0.1.2 arithmetic and formatting, and
//! every value normalized to at most 34 significant digits with trailing zeros stripped.

use std::fmt;
use std::str::FromStr;

use num_traits::{ToPrimitive, Zero};

use crate::{BigInt, ValueError};

/// A normalized decimal: `digits × 10^exp`, at most 34 significant digits, no trailing zeros in
/// `digits`, `exp` within [-6143, 6144]. Construction always normalizes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BigDecimal(bigdecimal::BigDecimal);

impl BigDecimal {
    /// The number of significant digits graph-node keeps.
    pub const MAX_SIGNIFICANT_DIGITS: u64 = 34;
    pub const MIN_EXP: i64 = -6143;
    pub const MAX_EXP: i64 = 6144;

    pub fn zero() -> Self {
        BigDecimal(bigdecimal::BigDecimal::zero())
    }

    /// `digits × 10^exp`, normalized. Fails if the normalized exponent is out of range.
    pub fn new(digits: BigInt, exp: i64) -> Result<Self, ValueError> {
        let d = bigdecimal::BigDecimal::new(digits.inner().clone(), -exp);
        Self::normalize(d).check_range()
    }

    /// Rounds to 34 significant digits (round half up on the magnitude, as bigdecimal 0.1.2's
    /// `with_prec` does) and strips trailing zeros.
    fn normalize(d: bigdecimal::BigDecimal) -> Self {
        if d.is_zero() {
            return Self::zero();
        }
        let rounded = d.with_prec(Self::MAX_SIGNIFICANT_DIGITS);
        let (mut int, mut scale) = rounded.as_bigint_and_exponent();
        let ten = num_bigint::BigInt::from(10);
        while (&int % &ten).is_zero() {
            int /= &ten;
            scale -= 1;
        }
        BigDecimal(bigdecimal::BigDecimal::new(int, scale))
    }

    fn check_range(self) -> Result<Self, ValueError> {
        let exp = self.exponent();
        if self.0.is_zero() || (Self::MIN_EXP..=Self::MAX_EXP).contains(&exp) {
            Ok(self)
        } else {
            Err(ValueError::ExponentOutOfRange(exp))
        }
    }

    /// The mantissa and the exponent (`value = digits × 10^exp`).
    pub fn digits_and_exp(&self) -> (BigInt, i64) {
        let (int, scale) = self.0.as_bigint_and_exponent();
        (BigInt::from(int), -scale)
    }

    /// The exponent (the negated bigdecimal scale).
    pub fn exponent(&self) -> i64 {
        -self.0.as_bigint_and_exponent().1
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn plus(&self, other: &BigDecimal) -> BigDecimal {
        Self::normalize(&self.0 + &other.0)
    }

    pub fn minus(&self, other: &BigDecimal) -> BigDecimal {
        Self::normalize(&self.0 - &other.0)
    }

    pub fn times(&self, other: &BigDecimal) -> BigDecimal {
        Self::normalize(&self.0 * &other.0)
    }

    pub fn divided_by(&self, other: &BigDecimal) -> Result<BigDecimal, ValueError> {
        if other.is_zero() {
            return Err(ValueError::BigDecimalDivideByZero(self.clone()));
        }
        Ok(Self::normalize(&self.0 / &other.0))
    }

    pub fn to_f64(&self) -> Option<f64> {
        self.0.to_f64()
    }
}

impl From<BigInt> for BigDecimal {
    fn from(n: BigInt) -> Self {
        Self::normalize(bigdecimal::BigDecimal::new(n.inner().clone(), 0))
    }
}

impl FromStr for BigDecimal {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, ValueError> {
        let d = bigdecimal::BigDecimal::from_str(s)
            .map_err(|_| ValueError::InvalidBigDecimal(s.to_string()))?;
        Self::normalize(d).check_range()
    }
}

impl fmt::Display for BigDecimal {
    /// bigdecimal 0.1.2's `Display`: plain positional notation, never an exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    #[test]
    fn normalizes_trailing_zeros() {
        let (digits, exp) = d("1000000").digits_and_exp();
        assert_eq!((digits, exp), (BigInt::from(1), 6));
        assert_eq!(d("1.500").to_string(), "1.5");
        assert_eq!(d("0").to_string(), "0");
    }

    #[test]
    fn rounds_to_34_digits() {
        let third = d("1").divided_by(&d("3")).unwrap();
        assert_eq!(third.to_string(), "0.3333333333333333333333333333333333");
        let two_thirds = d("2").divided_by(&d("3")).unwrap();
        assert_eq!(
            two_thirds.to_string(),
            "0.6666666666666666666666666666666667"
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(d("1.1").plus(&d("2.2")).to_string(), "3.3");
        assert_eq!(d("1.5").times(&d("-2")).to_string(), "-3");
        assert!(d("1").divided_by(&BigDecimal::zero()).is_err());
    }
}
