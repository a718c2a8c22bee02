//! Store values and entities: graph-ts `Value` (a tagged union) and `Entity`
//! (`TypedMap<string, Value>`).
//!
//! `Value` is `{ kind: u32, payload: u64 }` (16 bytes): pointers zero-extended, `i32`
//! sign-extended, `i64` as is, booleans 0/1 (any non-zero reads as true).
//!
//! | kind | value | payload |
//! |---|---|---|
//! | 0 | String | String |
//! | 1 | Int | i32 |
//! | 2 | BigDecimal | BigDecimal |
//! | 3 | Bool | 0/1 |
//! | 4 | List | `Array<Value>` |
//! | 5 | Null | 0 |
//! | 6 | Bytes | Uint8Array |
//! | 7 | BigInt | Uint8Array |
//! | 8 | Int8 | i64 |
//! | 9 | Timestamp | i64 microseconds |
//!
//! A `TypedMap` is `{ entries: Array<TypedMapEntry> }`, an entry `{ key, value }`. Entities go
//! to wasm with their fields sorted by name (an [`Entity`] is a `BTreeMap`); reading one, a
//! later duplicate key wins.

use sprig_value::{BigDecimal, BigInt, Entity, Value};

use super::read::{FromAsc, Reader};
use super::write::{Fields, ObjPtr, Objects, ToAsc};
use super::TypeIndex;
use crate::error::{deterministic, HostError};

/// Earliest and latest microsecond timestamps graph-node accepts (chrono's `DateTime<Utc>`
/// range: years -262143 to 262142).
const MIN_TIMESTAMP_MICROS: i64 = -8_334_601_315_200_000_000;
const MAX_TIMESTAMP_MICROS: i64 = 8_210_266_876_799_999_999;

impl FromAsc for Value {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<Value, HostError> {
        let mut fields = reader.fields(ptr, 16)?;
        let kind = fields.u32();
        let payload = fields.u64();
        let pointer = payload as u32;
        Ok(match kind {
            0 => Value::String(reader.read(pointer)?),
            1 => Value::Int(payload as i32),
            2 => Value::BigDecimal(reader.read::<BigDecimal>(pointer)?),
            3 => Value::Bool(payload != 0),
            4 => Value::List(reader.array(pointer)?),
            5 => Value::Null,
            6 => Value::Bytes(reader.read(pointer)?),
            7 => Value::BigInt(reader.read::<BigInt>(pointer)?),
            8 => Value::Int8(payload as i64),
            9 => {
                let micros = payload as i64;
                if !(MIN_TIMESTAMP_MICROS..=MAX_TIMESTAMP_MICROS).contains(&micros) {
                    return Err(deterministic!(
                        "timestamp of {micros} microseconds is out of range"
                    ));
                }
                Value::Timestamp(micros)
            }
            other => {
                return Err(deterministic!(
                    "value {other} is out of range for ValueKind"
                ))
            }
        })
    }
}

impl ToAsc for Value {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (kind, payload) = match self {
            Value::String(s) => (0, Payload::Ptr(objects.string(s))),
            Value::Int(i) => (1, Payload::Bits(i64::from(*i) as u64)),
            Value::BigDecimal(d) => (2, Payload::Ptr(d.to_asc(objects))),
            Value::Bool(b) => (3, Payload::Bits(u64::from(*b))),
            Value::List(items) => {
                let items: Vec<ObjPtr> = items.iter().map(|v| v.to_asc(objects)).collect();
                (
                    4,
                    Payload::Ptr(objects.array_of(TypeIndex::ArrayStoreValue, &items)),
                )
            }
            Value::Null => (5, Payload::Bits(0)),
            Value::Bytes(b) => (6, Payload::Ptr(objects.uint8_array(b))),
            Value::BigInt(n) => (7, Payload::Ptr(n.to_asc(objects))),
            Value::Int8(i) => (8, Payload::Bits(*i as u64)),
            Value::Timestamp(t) => (9, Payload::Bits(*t as u64)),
        };
        objects.class(TypeIndex::StoreValue, payload.fields(kind))
    }
}

/// The 64-bit payload of a tagged union: bits, or a pointer.
pub(crate) enum Payload {
    Bits(u64),
    Ptr(ObjPtr),
}

impl Payload {
    /// `{ kind, payload }` fields.
    pub fn fields(self, kind: u32) -> Fields {
        let fields = Fields::new().u32(kind);
        match self {
            Payload::Bits(bits) => fields.u64(bits),
            Payload::Ptr(ptr) => fields.ptr64(Some(ptr)),
        }
    }
}

/// One `TypedMapEntry<K, V>`.
pub(crate) struct MapEntry<K, V>(pub K, pub V);

impl<K: FromAsc, V: FromAsc> FromAsc for MapEntry<K, V> {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<Self, HostError> {
        let mut fields = reader.fields(ptr, 8)?;
        let (key, value) = (fields.u32(), fields.u32());
        Ok(MapEntry(reader.read(key)?, reader.read(value)?))
    }
}

/// Reads the entries of a `TypedMap<K, V>` at `ptr`, in order.
pub(crate) fn read_map<K: FromAsc, V: FromAsc>(
    reader: &mut Reader<'_, '_>,
    ptr: u32,
) -> Result<Vec<MapEntry<K, V>>, HostError> {
    let mut fields = reader.fields(ptr, 4)?;
    let entries = fields.u32();
    reader.array(entries)
}

/// Writes a `TypedMap` whose entries are written by `entry`; the classes name the entry, the
/// entry array and the map.
pub(crate) fn write_map(
    objects: &mut Objects,
    entries: Vec<(ObjPtr, ObjPtr)>,
    classes: [TypeIndex; 3],
) -> ObjPtr {
    let [entry_class, array_class, map_class] = classes;
    let entries: Vec<ObjPtr> = entries
        .into_iter()
        .map(|(key, value)| {
            objects.class(entry_class, Fields::new().ptr(Some(key)).ptr(Some(value)))
        })
        .collect();
    let array = objects.array_of(array_class, &entries);
    objects.class(map_class, Fields::new().ptr(Some(array)))
}

/// An entity, read from a `TypedMap<string, Value>`.
pub(crate) struct AscEntity(pub Entity);

impl FromAsc for AscEntity {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<AscEntity, HostError> {
        let entries = read_map::<String, Value>(reader, ptr)?;
        Ok(AscEntity(
            entries.into_iter().map(|MapEntry(k, v)| (k, v)).collect(),
        ))
    }
}

/// An entity as a `TypedMap<string, Value>`, fields sorted by name.
impl ToAsc for Entity {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let entries = self
            .iter()
            .map(|(name, value)| (objects.string(name), value.to_asc(objects)))
            .collect();
        write_map(
            objects,
            entries,
            [
                TypeIndex::TypedMapEntryStringStoreValue,
                TypeIndex::ArrayTypedMapEntryStringStoreValue,
                TypeIndex::TypedMapStringStoreValue,
            ],
        )
    }
}
