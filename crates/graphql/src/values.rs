//! Converting between store values and GraphQL values exactly as graph-node does.
//!
//! Responses: `Int` is a JSON number; `Int8`, `BigInt`, `BigDecimal` and `Timestamp`
//! (microseconds) are strings, so that no client loses precision; `Bytes` is lowercase `0x` hex.
//! Inputs accept the same strings, and numbers where a number is unambiguous.

use std::cmp::Ordering;

use async_graphql::{Number, Value as GqlValue};
use sprig_manifest::ScalarType;
use sprig_value::{from_hex, to_hex, BigDecimal, BigInt, IdType, Value};

use crate::error::{QueryError, QueryResult};

/// The response form of a store value; `None` for null (async-graphql wants an absent value,
/// not a null one, for nullable fields).
pub fn encode(value: &Value) -> Option<GqlValue> {
    Some(match value {
        Value::Null => return None,
        Value::String(s) => GqlValue::String(s.clone()),
        Value::Int(i) => GqlValue::Number(Number::from(*i)),
        Value::Int8(i) | Value::Timestamp(i) => GqlValue::String(i.to_string()),
        Value::BigInt(n) => GqlValue::String(n.to_string()),
        Value::BigDecimal(d) => GqlValue::String(d.to_string()),
        Value::Bool(b) => GqlValue::Boolean(*b),
        Value::Bytes(b) => GqlValue::String(to_hex(b)),
        Value::List(items) => GqlValue::List(
            items
                .iter()
                .map(|item| encode(item).unwrap_or(GqlValue::Null))
                .collect(),
        ),
    })
}

/// What a GraphQL input must decode to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputType {
    Scalar(ScalarType),
    /// A value of an enum, stored as its name.
    Enum,
    /// The id of an entity (an `id` argument, or a reference in a filter).
    Id(IdType),
}

/// Decodes one input value; GraphQL `null` becomes `Value::Null` (callers decide whether null is
/// allowed where it appears).
pub fn decode(input: &GqlValue, ty: &InputType) -> QueryResult<Value> {
    if matches!(input, GqlValue::Null) {
        return Ok(Value::Null);
    }
    match ty {
        InputType::Scalar(scalar) => decode_scalar(input, *scalar),
        InputType::Enum => match input {
            GqlValue::Enum(name) => Ok(Value::String(name.to_string())),
            GqlValue::String(s) => Ok(Value::String(s.clone())),
            other => Err(QueryError::decode(
                "enum",
                format!("not an enum value: {other}"),
            )),
        },
        InputType::Id(IdType::String) => decode_scalar(input, ScalarType::String),
        InputType::Id(IdType::Bytes) => decode_scalar(input, ScalarType::Bytes),
        InputType::Id(IdType::Int8) => decode_scalar(input, ScalarType::Int8),
    }
}

/// Decodes a list input; every element must decode to `ty` and none may be null.
pub fn decode_list(input: &GqlValue, ty: &InputType) -> QueryResult<Vec<Value>> {
    let GqlValue::List(items) = input else {
        return Err(QueryError::new(format!("expected a list, got `{input}`")));
    };
    items
        .iter()
        .map(|item| match decode(item, ty)? {
            Value::Null => Err(QueryError::new("lists in filters may not contain null")),
            value => Ok(value),
        })
        .collect()
}

fn decode_scalar(input: &GqlValue, scalar: ScalarType) -> QueryResult<Value> {
    let name = scalar.name();
    let mismatch = || QueryError::decode(name, format!("unexpected value `{input}`"));
    match scalar {
        ScalarType::Id | ScalarType::String => match input {
            GqlValue::String(s) => Ok(Value::String(s.clone())),
            _ => Err(mismatch()),
        },
        ScalarType::Bytes => match input {
            GqlValue::String(s) => from_hex(s)
                .map(Value::Bytes)
                .map_err(|e| QueryError::decode(name, e)),
            _ => Err(mismatch()),
        },
        ScalarType::BigInt => match input {
            GqlValue::String(s) => s
                .parse::<BigInt>()
                .map(Value::BigInt)
                .map_err(|e| QueryError::decode(name, e)),
            GqlValue::Number(n) => n
                .as_i64()
                .map(|i| Value::BigInt(BigInt::from(i)))
                .ok_or_else(mismatch),
            _ => Err(mismatch()),
        },
        ScalarType::BigDecimal => {
            let text = match input {
                GqlValue::String(s) => s.clone(),
                GqlValue::Number(n) => n.to_string(),
                _ => return Err(mismatch()),
            };
            text.parse::<BigDecimal>()
                .map(Value::BigDecimal)
                .map_err(|e| QueryError::decode(name, e))
        }
        ScalarType::Int => match input {
            GqlValue::Number(n) => n
                .as_i64()
                .and_then(|i| i32::try_from(i).ok())
                .map(Value::Int)
                .ok_or_else(mismatch),
            _ => Err(mismatch()),
        },
        ScalarType::Int8 | ScalarType::Timestamp => {
            let parsed = match input {
                GqlValue::String(s) => s.parse::<i64>().ok(),
                GqlValue::Number(n) => n.as_i64(),
                _ => None,
            };
            let i = parsed.ok_or_else(mismatch)?;
            Ok(if scalar == ScalarType::Int8 {
                Value::Int8(i)
            } else {
                Value::Timestamp(i)
            })
        }
        ScalarType::Boolean => match input {
            GqlValue::Boolean(b) => Ok(Value::Bool(*b)),
            _ => Err(mismatch()),
        },
    }
}

/// Orders values the way the store's SQL does: by value within a type, and null after every
/// value (PostgreSQL's default, which graph-node relies on: `nulls last` ascending, first
/// descending).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> GqlValue {
        GqlValue::String(text.to_string())
    }

    #[test]
    fn encodes_like_graph_node() {
        let cases = [
            (Value::Int(-5), GqlValue::Number((-5).into())),
            (Value::Int8(1 << 40), s("1099511627776")),
            (
                Value::Timestamp(1_700_000_000_000_000),
                s("1700000000000000"),
            ),
            (Value::BigInt("-123".parse().unwrap()), s("-123")),
            (Value::BigDecimal("1.50".parse().unwrap()), s("1.5")),
            (Value::Bytes(vec![0xAB, 0x01]), s("0xab01")),
            (Value::Bool(true), GqlValue::Boolean(true)),
            (
                Value::List(vec![Value::Int(1), Value::Null]),
                GqlValue::List(vec![GqlValue::Number(1.into()), GqlValue::Null]),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(encode(&value), Some(expected), "{value:?}");
        }
        assert_eq!(encode(&Value::Null), None);
    }

    #[test]
    fn decodes_strings_and_numbers() {
        let big = InputType::Scalar(ScalarType::BigInt);
        assert_eq!(decode(&s("42"), &big), Ok(Value::BigInt(42.into())));
        assert_eq!(
            decode(&GqlValue::Number(42.into()), &big),
            Ok(Value::BigInt(42.into()))
        );
        let dec = InputType::Scalar(ScalarType::BigDecimal);
        assert_eq!(
            decode(&s("0.10"), &dec),
            Ok(Value::BigDecimal("0.1".parse().unwrap()))
        );
        let int8 = InputType::Scalar(ScalarType::Int8);
        assert_eq!(decode(&s("-7"), &int8), Ok(Value::Int8(-7)));
        let id = InputType::Id(IdType::Bytes);
        assert_eq!(
            decode(&s("0xABcd"), &id),
            Ok(Value::Bytes(vec![0xab, 0xcd]))
        );
        assert_eq!(decode(&GqlValue::Null, &id), Ok(Value::Null));
    }

    #[test]
    fn rejects_bad_inputs_with_graph_node_wording() {
        let bytes = InputType::Scalar(ScalarType::Bytes);
        assert_eq!(
            decode(&s("0xzz"), &bytes).unwrap_err().to_string(),
            "Failed to decode `Bytes` value: `invalid hex string `0xzz``"
        );
        let big = InputType::Scalar(ScalarType::BigInt);
        assert_eq!(
            decode(&s("1.5"), &big).unwrap_err().to_string(),
            "Failed to decode `BigInt` value: `string is not a BigInt: `1.5``"
        );
        assert!(decode(&GqlValue::Boolean(true), &big).is_err());
    }

    #[test]
    fn nulls_sort_last() {
        let mut values = vec![Value::Null, Value::Int(2), Value::Int(1)];
        values.sort_by(compare);
        assert_eq!(values, vec![Value::Int(1), Value::Int(2), Value::Null]);
    }
}
