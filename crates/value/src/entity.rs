//! Entities and their keys.

use std::collections::BTreeMap;
use std::fmt;

use crate::{to_hex, Value};

/// An entity: field name to value, ordered by name (graph-node hands entities to mappings with
/// their fields sorted by name).
pub type Entity = BTreeMap<String, Value>;

/// The type of an entity's `id` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdType {
    /// `ID` or `String`.
    String,
    Bytes,
    Int8,
}

/// An entity id, typed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Id {
    String(String),
    Bytes(Vec<u8>),
    Int8(i64),
}

impl Id {
    /// The id as a store value.
    pub fn to_value(&self) -> Value {
        match self {
            Id::String(s) => Value::String(s.clone()),
            Id::Bytes(b) => Value::Bytes(b.clone()),
            Id::Int8(i) => Value::Int8(*i),
        }
    }

    /// Converts a value to an id of the given type; `None` if the value has the wrong kind.
    pub fn from_value(value: &Value, id_type: IdType) -> Option<Id> {
        match (value, id_type) {
            (Value::String(s), IdType::String) => Some(Id::String(s.clone())),
            (Value::Bytes(b), IdType::Bytes) => Some(Id::Bytes(b.clone())),
            (Value::Int8(i), IdType::Int8) => Some(Id::Int8(*i)),
            _ => None,
        }
    }
}

impl fmt::Display for Id {
    /// The string form graph-node uses (Bytes as 0x-hex, Int8 in decimal).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::String(s) => f.write_str(s),
            Id::Bytes(b) => f.write_str(&to_hex(b)),
            Id::Int8(i) => write!(f, "{i}"),
        }
    }
}

/// Identifies one entity: its type name and its id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityKey {
    pub entity_type: String,
    pub id: Id,
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.entity_type, self.id)
    }
}
