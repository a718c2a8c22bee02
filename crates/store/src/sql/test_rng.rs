//! A small deterministic random source for property tests (SplitMix64), so failures reproduce.

use sprig_value::{BigDecimal, BigInt};

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// Mostly small numbers, some large, a few huge, with both signs and trailing zeros.
    pub(crate) fn bigint(&mut self) -> BigInt {
        let len = match self.below(10) {
            0 => 0,
            1..=5 => 1 + self.below(4) as usize,
            6..=8 => 1 + self.below(80) as usize,
            _ => 1 + self.below(1500) as usize,
        };
        let sign = if self.below(2) == 0 { "-" } else { "" };
        let zeros = "0".repeat(self.below(4) as usize);
        format!("{sign}0{}{zeros}", self.digits(len))
            .parse()
            .unwrap()
    }

    /// Up to 34 digits with exponents either near zero (so values collide and interleave) or
    /// anywhere in graph-node's range.
    pub(crate) fn bigdecimal(&mut self) -> BigDecimal {
        loop {
            let mantissa: BigInt = {
                let sign = if self.below(2) == 0 { "-" } else { "" };
                let len = 1 + self.below(34) as usize;
                format!("{sign}{}", self.digits(len)).parse().unwrap()
            };
            let exp = if self.below(4) == 0 {
                self.below(12_000) as i64 - 6_000
            } else {
                self.below(12) as i64 - 8
            };
            if let Ok(d) = BigDecimal::new(mantissa, exp) {
                return d;
            }
        }
    }
}
