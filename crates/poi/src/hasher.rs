//! The "fast" stable hasher of graph-node's `stable-hash` crate: field addresses and a 192-bit
//! order-independent accumulator of xxh3-128 digests.

use xxhash_rust::xxh3::xxh3_128_with_seed;

/// Where a value sits inside the structure being hashed: a path from the root, folded into a
/// `u128`. `root()` is 17 and `child(n) = self × 486187739 + n` (wrapping mod 2^128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldAddress(pub u128);

impl FieldAddress {
    /// The multiplier of [`FieldAddress::child`].
    const PRIME: u128 = 486_187_739;

    /// The address of the value being hashed as a whole (17).
    pub const ROOT: FieldAddress = FieldAddress(17);

    /// The root address (17).
    pub const fn root() -> Self {
        Self::ROOT
    }

    /// The address of child number `n` (struct field `n`, sequence item `n`, ...).
    #[must_use]
    pub const fn child(self, n: u64) -> Self {
        FieldAddress(self.0.wrapping_mul(Self::PRIME).wrapping_add(n as u128))
    }

    /// The address reached from the root through `path` (`root.child(path[0]).child(path[1])…`).
    pub fn path(path: &[u64]) -> Self {
        path.iter().fold(Self::ROOT, |a, &n| a.child(n))
    }

    /// The raw `u128`.
    pub const fn as_u128(self) -> u128 {
        self.0
    }
}

/// A 192-bit integer, three little-endian `u64` limbs, with arithmetic mod 2^192.
type U192 = [u64; 3];

fn add192(a: U192, b: U192) -> U192 {
    let (r0, c0) = a[0].overflowing_add(b[0]);
    let (t1, c1a) = a[1].overflowing_add(b[1]);
    let (r1, c1b) = t1.overflowing_add(c0 as u64);
    let r2 = a[2]
        .wrapping_add(b[2])
        .wrapping_add(c1a as u64 + c1b as u64);
    [r0, r1, r2]
}

fn mul192(a: U192, b: U192) -> U192 {
    let mut r = [0u64; 3];
    for i in 0..3 {
        let mut carry: u128 = 0;
        for j in 0..(3 - i) {
            // (2^64-1)^2 + 2·(2^64-1) = 2^128 - 1: never overflows.
            let t = u128::from(a[i]) * u128::from(b[j]) + u128::from(r[i + j]) + carry;
            r[i + j] = t as u64;
            carry = t >> 64;
        }
    }
    r
}

/// The combining function `u(a, b) = P + Q·(a + b) + R·a·b (mod 2^192)`; commutative,
/// associative, with identity [`I`].
fn combine(a: U192, b: U192) -> U192 {
    add192(add192(P, mul192(Q, add192(a, b))), mul192(R, mul192(a, b)))
}

const P: U192 = [2305843009213693959, 2305843009213693950, 0];
const Q: U192 = [18446744073709551609, 0, 0];
const R: U192 = [8, 0, 0];
const I: U192 = [
    16140901064495857665,
    18446744073709551615,
    18446744073709551615,
];

/// graph-node's `FastStableHasher`: a multiset hash of `(address, bytes)` writes plus a write
/// count. Writes commute, so the result does not depend on their order, only on their addresses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StableHasher {
    value: U192,
    count: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl StableHasher {
    /// An empty hasher (the identity of [`StableHasher::mixin`]).
    pub const fn new() -> Self {
        StableHasher { value: I, count: 0 }
    }

    /// Adds one field: `bytes` at `addr`.
    pub fn write(&mut self, addr: FieldAddress, bytes: &[u8]) {
        let addr = addr.0;
        let h = xxh3_128_with_seed(bytes, addr as u64);
        let x = [
            ((addr >> 64) as u64) & (u64::MAX >> 1),
            h as u64,
            (h >> 64) as u64,
        ];
        self.value = combine(self.value, x);
        self.count = self.count.wrapping_add(1);
    }

    /// Adds every field of `other` (as if its writes had been made here).
    pub fn mixin(&mut self, other: &StableHasher) {
        self.value = combine(self.value, other.value);
        self.count = self.count.wrapping_add(other.count);
    }

    /// The number of writes so far (wrapping).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The serialized state: the 192-bit value as three little-endian limbs, then the count as
    /// a little-endian `u64`. This is the PoI digest graph-node stores per causality region.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.value.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out[24..32].copy_from_slice(&self.count.to_le_bytes());
        out
    }

    /// The inverse of [`StableHasher::to_bytes`].
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let limb = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        StableHasher {
            value: [limb(0), limb(1), limb(2)],
            count: limb(3),
        }
    }

    /// The 128-bit digest: xxh3-128 of the 24 value bytes, seeded with the count.
    pub fn finish(&self) -> u128 {
        let bytes = self.to_bytes();
        xxh3_128_with_seed(&bytes[..24], self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_neutral() {
        assert_eq!(combine(I, I), I);
        let x = [1, 2, 3];
        assert_eq!(combine(I, x), x);
        assert_eq!(combine(x, I), x);
    }

    #[test]
    fn combine_is_commutative_and_associative() {
        let a = [u64::MAX, 7, 1 << 63];
        let b = [12345, u64::MAX - 3, 99];
        let c = [0, 1, u64::MAX];
        assert_eq!(combine(a, b), combine(b, a));
        assert_eq!(combine(combine(a, b), c), combine(a, combine(b, c)));
    }

    #[test]
    fn mul_matches_wide_reference() {
        // Cross-check the 192-bit product against u128 arithmetic on small operands.
        let a = [0xFFFF_FFFF_FFFF_FFFF, 0x1234, 0];
        let b = [0xFFFF_FFFF_FFFF_FFFF, 0, 0];
        let r = mul192(a, b);
        let lo = u128::from(a[0]) * u128::from(b[0]);
        assert_eq!(r[0], lo as u64);
        // limb 1 = hi(a0*b0) + lo(a1*b0)
        let mid = (lo >> 64) + u128::from(a[1]) * u128::from(b[0]);
        assert_eq!(r[1], mid as u64);
        assert_eq!(r[2], (mid >> 64) as u64);
    }

    #[test]
    fn bytes_round_trip() {
        let mut h = StableHasher::new();
        h.write(FieldAddress::ROOT.child(3), b"abc");
        h.write(FieldAddress::path(&[1, 2, 3, 4, 5, 6, 7, 8]), b"");
        let back = StableHasher::from_bytes(h.to_bytes());
        assert_eq!(back, h);
        assert_eq!(back.count(), 2);
        assert_eq!(back.finish(), h.finish());
    }

    #[test]
    fn writes_commute_and_mixin_equals_writing() {
        let mut a = StableHasher::new();
        a.write(FieldAddress(100), b"x");
        a.write(FieldAddress(u128::MAX), b"yy");
        let mut b = StableHasher::new();
        b.write(FieldAddress(u128::MAX), b"yy");
        b.write(FieldAddress(100), b"x");
        assert_eq!(a, b);

        let mut c = StableHasher::new();
        c.write(FieldAddress(100), b"x");
        let mut d = StableHasher::new();
        d.write(FieldAddress(u128::MAX), b"yy");
        c.mixin(&d);
        assert_eq!(a, c);
    }

    #[test]
    fn address_child_formula() {
        assert_eq!(FieldAddress::root().0, 17);
        assert_eq!(FieldAddress::ROOT.child(0).0, 17 * 486_187_739);
        assert_eq!(FieldAddress::ROOT.child(5).0, 17 * 486_187_739 + 5);
        let deep = FieldAddress::path(&[u64::MAX; 10]);
        let mut manual: u128 = 17;
        for _ in 0..10 {
            manual = manual
                .wrapping_mul(486_187_739)
                .wrapping_add(u128::from(u64::MAX));
        }
        assert_eq!(deep.0, manual);
    }
}
