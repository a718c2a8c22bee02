//! Stable-hash encodings: how values are turned into `(address, bytes)` writes. These follow the
//! `StableHash` impls of stable-hash (`main`) and graph-node exactly; default values (0, false,
//! "", None, empty sequences' items) write nothing, which is part of the format.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sprig_value::{BigDecimal, BigInt, Entity, Value};

use crate::hasher::{FieldAddress, StableHasher};

/// A value with a stable-hash encoding.
pub trait StableHash {
    /// Writes this value's fields into `state`, at `addr` and its children.
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher);
}

/// `stable_hash::fast_stable_hash`: hashes `value` at the root of a fresh hasher and finishes.
pub fn fast_stable_hash<T: StableHash + ?Sized>(value: &T) -> u128 {
    let mut state = StableHasher::new();
    value.stable_hash(FieldAddress::ROOT, &mut state);
    state.finish()
}

impl<T: StableHash + ?Sized> StableHash for &T {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        (**self).stable_hash(addr, state)
    }
}

/// A byte string hashed as one field (not as a sequence of numbers): non-empty → one write.
#[derive(Clone, Copy, Debug)]
pub struct AsBytes<'a>(pub &'a [u8]);

impl StableHash for AsBytes<'_> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        if !self.0.is_empty() {
            state.write(addr, self.0);
        }
    }
}

/// The canonical integer encoding: a negative sign is an empty write at `child(0)`; the
/// magnitude, little-endian with trailing zero bytes trimmed, is written at the address unless
/// it is zero.
#[derive(Clone, Copy, Debug)]
pub struct AsInt<'a> {
    /// Whether the integer is negative.
    pub is_negative: bool,
    /// The magnitude, little-endian.
    pub little_endian: &'a [u8],
}

impl StableHash for AsInt<'_> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        if self.is_negative {
            state.write(addr.child(0), &[]);
        }
        let mut end = self.little_endian.len();
        while end > 0 && self.little_endian[end - 1] == 0 {
            end -= 1;
        }
        if end > 0 {
            state.write(addr, &self.little_endian[..end]);
        }
    }
}

/// An unordered collection: each member is hashed at the root of its own fresh hasher, and that
/// hasher's 32-byte state is written at the collection's address.
#[derive(Clone, Copy, Debug)]
pub struct AsUnorderedSet<I>(pub I);

impl<I> StableHash for AsUnorderedSet<I>
where
    I: Clone + IntoIterator,
    I::Item: StableHash,
{
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        for member in self.0.clone() {
            let mut member_state = StableHasher::new();
            member.stable_hash(FieldAddress::ROOT, &mut member_state);
            state.write(addr, &member_state.to_bytes());
        }
    }
}

macro_rules! impl_ints {
    ($($u:ty, $i:ty);*) => {$(
        impl StableHash for $u {
            fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
                AsInt { is_negative: false, little_endian: &self.to_le_bytes() }
                    .stable_hash(addr, state)
            }
        }
        impl StableHash for $i {
            fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
                AsInt {
                    is_negative: *self < 0,
                    little_endian: &self.unsigned_abs().to_le_bytes(),
                }
                .stable_hash(addr, state)
            }
        }
    )*};
}

impl_ints!(u8, i8; u16, i16; u32, i32; u64, i64; u128, i128; usize, isize);

impl StableHash for bool {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        if *self {
            state.write(addr, &[]);
        }
    }
}

impl StableHash for str {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        AsBytes(self.as_bytes()).stable_hash(addr, state)
    }
}

impl StableHash for String {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        self.as_str().stable_hash(addr, state)
    }
}

impl<T: StableHash> StableHash for Option<T> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        if let Some(value) = self {
            value.stable_hash(addr.child(0), state);
            state.write(addr, &[]);
        }
    }
}

/// A sequence: item `i` at `child(i)`, then the length (as an integer) at the address.
impl<T: StableHash> StableHash for [T] {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        for (i, item) in self.iter().enumerate() {
            item.stable_hash(addr.child(i as u64), state);
        }
        (self.len() as u64).stable_hash(addr, state);
    }
}

impl<T: StableHash> StableHash for Vec<T> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        self.as_slice().stable_hash(addr, state)
    }
}

macro_rules! impl_tuple {
    ($($t:ident $n:tt),+) => {
        /// A tuple: element `i` at `child(i)`.
        impl<$($t: StableHash),+> StableHash for ($($t,)+) {
            fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
                $(self.$n.stable_hash(addr.child($n), state);)+
            }
        }
    };
}

impl_tuple!(A 0, B 1);
impl_tuple!(A 0, B 1, C 2);
impl_tuple!(A 0, B 1, C 2, D 3);

impl<K: StableHash, V: StableHash, S> StableHash for HashMap<K, V, S> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        AsUnorderedSet(self.iter()).stable_hash(addr, state)
    }
}

impl<T: StableHash, S> StableHash for HashSet<T, S> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        AsUnorderedSet(self.iter()).stable_hash(addr, state)
    }
}

/// Unordered, like `HashMap` (the iteration order of a `BTreeMap` plays no part). Note that an
/// [`Entity`] is a `BTreeMap`; for the PoI use [`EntityData`], which drops the internal `vid`.
impl<K: StableHash, V: StableHash> StableHash for BTreeMap<K, V> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        AsUnorderedSet(self.iter()).stable_hash(addr, state)
    }
}

impl<T: StableHash> StableHash for BTreeSet<T> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        AsUnorderedSet(self.iter()).stable_hash(addr, state)
    }
}

/// graph-node's `BigInt`: sign and little-endian magnitude, the integer encoding.
impl StableHash for BigInt {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        let (_, magnitude) = self.inner().to_bytes_le();
        AsInt {
            is_negative: self.is_negative(),
            little_endian: &magnitude,
        }
        .stable_hash(addr, state)
    }
}

/// graph-node's `BigDecimal` (normalized): the bigdecimal *scale* (the negated exponent, an
/// `i64`) at `child(1)`, then the mantissa as a `BigInt` at the address itself.
impl StableHash for BigDecimal {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        let (digits, exp) = self.digits_and_exp();
        let scale: i64 = -exp;
        scale.stable_hash(addr.child(1), state);
        digits.stable_hash(addr, state);
    }
}

/// graph-node's store `Value`: `Null` writes nothing; otherwise the inner value at `child(0)`
/// and a one-byte variant tag at the address.
impl StableHash for Value {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        let inner = addr.child(0);
        let tag: u8 = match self {
            Value::Null => return,
            Value::String(s) => {
                s.stable_hash(inner, state);
                1
            }
            Value::Int(i) => {
                i.stable_hash(inner, state);
                2
            }
            Value::BigDecimal(d) => {
                d.stable_hash(inner, state);
                3
            }
            Value::Bool(b) => {
                b.stable_hash(inner, state);
                4
            }
            Value::List(items) => {
                items.stable_hash(inner, state);
                5
            }
            Value::Bytes(b) => {
                AsBytes(b).stable_hash(inner, state);
                6
            }
            Value::BigInt(i) => {
                i.stable_hash(inner, state);
                7
            }
            Value::Int8(i) => {
                i.stable_hash(inner, state);
                8
            }
            Value::Timestamp(micros) => {
                micros.stable_hash(inner, state);
                9
            }
        };
        state.write(addr, &[tag]);
    }
}

/// The name of graph-node's internal version-id field, never part of the PoI.
pub const VID_FIELD: &str = "vid";

/// An entity as the PoI hashes it: the unordered set of `(field name, value)` pairs, without
/// the internal `vid` field (graph-node's `&Entity` iterator skips it). Null values stay: their
/// name is hashed, the value contributes nothing.
#[derive(Clone, Copy, Debug)]
pub struct EntityData<'a>(pub &'a Entity);

impl StableHash for EntityData<'_> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        let fields = self.0.iter().filter(|(name, _)| name.as_str() != VID_FIELD);
        AsUnorderedSet(fields).stable_hash(addr, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_write_nothing() {
        let empty = StableHasher::new();
        for h in [
            {
                let mut s = StableHasher::new();
                0u64.stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
            {
                let mut s = StableHasher::new();
                false.stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
            {
                let mut s = StableHasher::new();
                "".stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
            {
                let mut s = StableHasher::new();
                Option::<u8>::None.stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
            {
                let mut s = StableHasher::new();
                Value::Null.stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
            {
                let mut s = StableHasher::new();
                Vec::<u8>::new().stable_hash(FieldAddress::ROOT, &mut s);
                s
            },
        ] {
            assert_eq!(h, empty);
        }
    }

    #[test]
    fn bigint_matches_machine_ints() {
        for v in [0i64, 1, -1, 255, 256, -256, i64::MIN, i64::MAX, 123_456_789] {
            assert_eq!(
                fast_stable_hash(&BigInt::from(v)),
                fast_stable_hash(&v),
                "{v}"
            );
        }
    }

    #[test]
    fn bigdecimal_integer_equals_bigint_encoding() {
        // With scale 0 the decimal hashes like the integer (that is the backward-compat design).
        let d: BigDecimal = "12345".parse().unwrap();
        assert_eq!(
            fast_stable_hash(&d),
            fast_stable_hash(&BigInt::from(12345i64))
        );
        // 1.5 = 15 × 10^-1: scale 1 at child(1), 15 at the address.
        let d: BigDecimal = "1.5".parse().unwrap();
        let mut expected = StableHasher::new();
        1i64.stable_hash(FieldAddress::ROOT.child(1), &mut expected);
        15i64.stable_hash(FieldAddress::ROOT, &mut expected);
        assert_eq!(fast_stable_hash(&d), expected.finish());
        // 1500 is normalized to 15 × 10^2: scale -2.
        let d: BigDecimal = "1500".parse().unwrap();
        let mut expected = StableHasher::new();
        (-2i64).stable_hash(FieldAddress::ROOT.child(1), &mut expected);
        15i64.stable_hash(FieldAddress::ROOT, &mut expected);
        assert_eq!(fast_stable_hash(&d), expected.finish());
    }

    #[test]
    fn entity_data_ignores_vid_and_order() {
        let mut a = Entity::new();
        a.insert("id".into(), Value::String("x".into()));
        a.insert("n".into(), Value::Int(3));
        let mut b = a.clone();
        b.insert(VID_FIELD.into(), Value::Int8(42));
        assert_eq!(
            fast_stable_hash(&EntityData(&a)),
            fast_stable_hash(&EntityData(&b))
        );
        let mut c = a.clone();
        c.insert("z".into(), Value::Null);
        assert_ne!(
            fast_stable_hash(&EntityData(&a)),
            fast_stable_hash(&EntityData(&c))
        );
    }

    #[test]
    fn value_kinds_do_not_collide() {
        let values = [
            Value::String("1".into()),
            Value::Int(1),
            Value::Int8(1),
            Value::Timestamp(1),
            Value::BigInt(BigInt::from(1i64)),
            Value::BigDecimal("1".parse().unwrap()),
            Value::Bool(true),
            Value::Bytes(vec![1]),
            Value::List(vec![Value::Int(1)]),
        ];
        let hashes: HashSet<u128> = values.iter().map(fast_stable_hash).collect();
        assert_eq!(hashes.len(), values.len());
    }
}
