//! The values that flow between a mapping, the entity cache, the store and the query layer.
//!
//! This crate is the shared data model of Sprig: [`Value`] (graph-node's store value), the
//! numeric types [`BigInt`] and [`BigDecimal`] with graph-node's exact semantics (they end up in
//! entities and in the proof of indexing, so they must be bit-identical), and [`Entity`] /
//! [`EntityKey`].
//!
//! Architecture invariant: this crate knows nothing about wasm, SQL, GraphQL or RPC.

mod bigdecimal;
mod bigint;
mod entity;

pub use crate::bigdecimal::BigDecimal;
pub use crate::bigint::BigInt;
pub use crate::entity::{Entity, EntityKey, Id, IdType};

use std::fmt;

/// A value stored in an entity field. Mirrors graph-node's `Value`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    String(String),
    Int(i32),
    Int8(i64),
    /// Microseconds since the Unix epoch.
    Timestamp(i64),
    BigDecimal(BigDecimal),
    Bool(bool),
    List(Vec<Value>),
    Null,
    Bytes(Vec<u8>),
    BigInt(BigInt),
}

impl Value {
    /// The name of this value's kind as used in graph-node error messages ("String", "BigInt", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "String",
            Value::Int(_) => "Int",
            Value::Int8(_) => "Int8",
            Value::Timestamp(_) => "Timestamp",
            Value::BigDecimal(_) => "BigDecimal",
            Value::Bool(_) => "Boolean",
            Value::List(_) => "List",
            Value::Null => "Null",
            Value::Bytes(_) => "Bytes",
            Value::BigInt(_) => "BigInt",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Lowercase `0x`-prefixed hex, the form graph-node uses for Bytes everywhere.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Parses hex with an optional `0x` prefix. An odd number of digits is an error.
pub fn from_hex(s: &str) -> Result<Vec<u8>, ValueError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if !digits.len().is_multiple_of(2) {
        return Err(ValueError::InvalidHex(s.to_string()));
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| ValueError::InvalidHex(s.to_string()))
}

impl fmt::Display for Value {
    /// Renders a value the way graph-node's GraphQL layer does for scalars: Bytes as 0x-hex,
    /// numbers in decimal, lists as `[a, b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Int8(i) => write!(f, "{i}"),
            Value::Timestamp(t) => write!(f, "{t}"),
            Value::BigDecimal(d) => write!(f, "{d}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Null => f.write_str("null"),
            Value::Bytes(b) => f.write_str(&to_hex(b)),
            Value::BigInt(n) => write!(f, "{n}"),
        }
    }
}

/// Errors from constructing or parsing values. All of them are deterministic: they depend only on
/// the input.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ValueError {
    #[error("invalid hex string `{0}`")]
    InvalidHex(String),
    #[error("string is not a BigInt: `{0}`")]
    InvalidBigInt(String),
    #[error("string  is not a BigDecimal: '{0}'")]
    InvalidBigDecimal(String),
    #[error("BigInt is too big, total bits {0} (max {max})", max = BigInt::MAX_BITS)]
    BigIntTooBig(u64),
    #[error("BigDecimal exponent {0} is out of range [-6143, 6144]")]
    ExponentOutOfRange(i64),
    #[error("attempted to divide BigInt `{0}` by zero")]
    BigIntDivideByZero(BigInt),
    #[error("attempted to calculate the remainder of `{0}` with a divisor of zero")]
    BigIntRemainderByZero(BigInt),
    #[error("attempted to divide BigDecimal `{0}` by zero")]
    BigDecimalDivideByZero(BigDecimal),
}

/// A block by number and hash: where a subgraph is, or where a write belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockPtr {
    pub number: u64,
    pub hash: [u8; 32],
}

impl fmt::Display for BlockPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} ({})", self.number, to_hex(&self.hash))
    }
}
