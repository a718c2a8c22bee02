//! An exact encoding of BigInt and BigDecimal values as byte strings whose byte order (SQLite
//! compares BLOBs with `memcmp`) is the numeric order, so that `ORDER BY`, `<`, `>` and `=` on
//! the column are numeric without any SQL function.
//!
//! A non-zero number is written as `±0.d₁d₂…dₙ × 10^e` with `d₁ ≠ 0` and `dₙ ≠ 0` (unique,
//! because both types strip trailing zeros). The key is:
//!
//! ```text
//! sign byte     0x00 negative, 0x01 zero (the whole key), 0x02 positive
//! exponent e    4 bytes big-endian, offset binary (e + 2^31), so larger exponents sort later
//! digits        two per byte, each as a nibble d + 1 (1..=10), then a 0 nibble as terminator
//! ```
//!
//! For positive numbers a larger exponent means a larger number, and with equal exponents the
//! digits compare like fractions: the terminator nibble sorts below every digit, so `0.12 < 0.123`.
//! Negative numbers take the same bytes after the sign inverted (`!b`), which reverses their
//! order; the terminator makes the digit part prefix-free, so inversion cannot be confused by one
//! key being a prefix of another. BigInt and BigDecimal share the encoding, so a BigDecimal
//! filter value compares correctly against a BigInt column and vice versa.

use anyhow::{bail, ensure, Context, Result};
use sprig_value::{BigDecimal, BigInt};

const NEGATIVE: u8 = 0x00;
const ZERO: u8 = 0x01;
const POSITIVE: u8 = 0x02;

/// More decimal digits than a BigInt within graph-node's size limit (435,412 bits) can have.
const MAX_BIGINT_DIGITS: i64 = 135_000;

/// The sort key of a BigInt.
pub(crate) fn bigint_key(n: &BigInt) -> Vec<u8> {
    let text = n.to_string();
    let (negative, magnitude) = split_sign(&text);
    // `n = 0.<digits> × 10^len(magnitude)`; trailing zeros move into the exponent.
    let digits = magnitude.trim_end_matches('0');
    encode(negative, digits, magnitude.len() as i64)
}

/// The sort key of a BigDecimal.
pub(crate) fn bigdecimal_key(d: &BigDecimal) -> Vec<u8> {
    let (mantissa, exp) = d.digits_and_exp();
    let text = mantissa.to_string();
    let (negative, magnitude) = split_sign(&text);
    // `d = magnitude × 10^exp = 0.<magnitude> × 10^(len + exp)`.
    let digits = magnitude.trim_end_matches('0');
    encode(negative, digits, magnitude.len() as i64 + exp)
}

/// Decodes a key written by [`bigint_key`] (or a BigDecimal key holding an integer).
pub(crate) fn bigint_from_key(key: &[u8]) -> Result<BigInt> {
    let Some(decoded) = decode(key)? else {
        return Ok(BigInt::zero());
    };
    let zeros = decoded.exponent - decoded.digits.len() as i64;
    ensure!(zeros >= 0, "numeric key holds a fraction, not an integer");
    // Bounds the allocation below for corrupt keys; real BigInts have at most ~131k digits.
    ensure!(
        zeros <= MAX_BIGINT_DIGITS,
        "numeric key holds a BigInt beyond the size limit"
    );
    let mut text = decoded.signed_digits();
    text.extend(std::iter::repeat_n('0', zeros as usize));
    text.parse().context("numeric key holds an invalid BigInt")
}

/// Decodes a key written by [`bigdecimal_key`] (or [`bigint_key`]).
pub(crate) fn bigdecimal_from_key(key: &[u8]) -> Result<BigDecimal> {
    let Some(decoded) = decode(key)? else {
        return Ok(BigDecimal::zero());
    };
    let mantissa: BigInt = decoded
        .signed_digits()
        .parse()
        .context("numeric key holds invalid digits")?;
    let exp = decoded.exponent - decoded.digits.len() as i64;
    BigDecimal::new(mantissa, exp).context("numeric key holds an out-of-range BigDecimal")
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(magnitude) => (true, magnitude),
        None => (false, text),
    }
}

/// Encodes `±0.<digits> × 10^exponent`; empty `digits` is zero.
fn encode(negative: bool, digits: &str, exponent: i64) -> Vec<u8> {
    if digits.is_empty() {
        return vec![ZERO];
    }
    let mut key = Vec::with_capacity(6 + digits.len() / 2);
    key.push(if negative { NEGATIVE } else { POSITIVE });
    // Both types bound their size far below this (BigInt: ~131k digits; BigDecimal: 10^±6144),
    // so the clamp never changes a real value; it only keeps the arithmetic total.
    let exponent = exponent.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    key.extend_from_slice(&((exponent as u32) ^ 0x8000_0000).to_be_bytes());
    let nibbles: Vec<u8> = digits.bytes().map(|b| b - b'0' + 1).chain([0]).collect();
    key.extend(
        nibbles
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair.get(1).copied().unwrap_or(0)),
    );
    if negative {
        for byte in &mut key[1..] {
            *byte = !*byte;
        }
    }
    key
}

struct Decoded {
    negative: bool,
    /// ASCII decimal digits, without leading or trailing zeros.
    digits: String,
    exponent: i64,
}

impl Decoded {
    fn signed_digits(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        format!("{sign}{}", self.digits)
    }
}

/// `None` for zero.
fn decode(key: &[u8]) -> Result<Option<Decoded>> {
    let (&sign, rest) = key.split_first().context("empty numeric key")?;
    let negative = match sign {
        ZERO if rest.is_empty() => return Ok(None),
        NEGATIVE => true,
        POSITIVE => false,
        _ => bail!("invalid numeric key (sign byte {sign:#04x})"),
    };
    let rest: Vec<u8> = if negative {
        rest.iter().map(|b| !b).collect()
    } else {
        rest.to_vec()
    };
    ensure!(rest.len() > 4, "numeric key is truncated");
    let (exponent, packed) = rest.split_at(4);
    let exponent = (u32::from_be_bytes([exponent[0], exponent[1], exponent[2], exponent[3]])
        ^ 0x8000_0000) as i32;
    let mut digits = String::with_capacity(packed.len() * 2);
    let mut terminated = false;
    for nibble in packed.iter().flat_map(|b| [b >> 4, b & 0x0f]) {
        match nibble {
            0 => {
                terminated = true;
                break;
            }
            1..=10 => digits.push(char::from(b'0' + nibble - 1)),
            _ => bail!("invalid digit in numeric key"),
        }
    }
    ensure!(
        terminated && !digits.is_empty(),
        "numeric key is not terminated"
    );
    Ok(Some(Decoded {
        negative,
        digits,
        exponent: exponent as i64,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_rng::Rng;
    use super::*;

    fn int(s: &str) -> BigInt {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips() {
        for s in [
            "0",
            "1",
            "-1",
            "9",
            "10",
            "-10",
            "1200",
            "-1200",
            "123456789012345678901234567890",
        ] {
            let n = int(s);
            assert_eq!(bigint_from_key(&bigint_key(&n)).unwrap(), n, "{s}");
        }
        for s in [
            "0",
            "0.5",
            "-0.5",
            "1e-6143",
            "-1e6144",
            "3.14159",
            "-1000",
            "0.0000001",
        ] {
            let d = dec(s);
            assert_eq!(bigdecimal_from_key(&bigdecimal_key(&d)).unwrap(), d, "{s}");
        }
    }

    #[test]
    fn bigint_and_bigdecimal_keys_agree() {
        for s in ["0", "7", "-7", "100", "-123456789"] {
            assert_eq!(bigint_key(&int(s)), bigdecimal_key(&dec(s)), "{s}");
        }
    }

    #[test]
    fn orders_like_the_numbers() {
        let ordered = [
            "-1000", "-999", "-10", "-9.5", "-9", "-0.5", "-0.05", "0", "0.05", "0.5", "1", "9",
            "9.5", "10", "999", "1000",
        ];
        let keys: Vec<_> = ordered.iter().map(|s| bigdecimal_key(&dec(s))).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn random_values_order_like_ord() {
        let mut rng = Rng::new(7);
        let ints: Vec<BigInt> = (0..2000).map(|_| rng.bigint()).collect();
        for pair in ints.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(bigint_key(a).cmp(&bigint_key(b)), a.cmp(b), "{a} vs {b}");
        }
        let decs: Vec<BigDecimal> = (0..2000).map(|_| rng.bigdecimal()).collect();
        for pair in decs.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(
                bigdecimal_key(a).cmp(&bigdecimal_key(b)),
                a.cmp(b),
                "{a} vs {b}"
            );
            assert_eq!(bigdecimal_from_key(&bigdecimal_key(a)).unwrap(), *a);
        }
    }

    #[test]
    fn rejects_corrupt_keys() {
        assert!(bigint_from_key(&[]).is_err());
        assert!(bigint_from_key(&[0x07]).is_err());
        assert!(bigint_from_key(&[POSITIVE, 0x80, 0, 0]).is_err());
        // A fraction is not an integer.
        assert!(bigint_from_key(&bigdecimal_key(&dec("0.5"))).is_err());
    }
}
