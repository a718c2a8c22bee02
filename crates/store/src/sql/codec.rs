//! Converts entity values to and from SQLite values, by column type.
//!
//! Scalars map onto native SQLite types (see `layout.rs`); BigInt and BigDecimal use the
//! order-preserving keys of `numeric.rs`. Lists are JSON arrays whose elements are JSON strings
//! (String, Bytes as `0x` hex, BigInt, BigDecimal), numbers (Int, Int8, Timestamp) or booleans,
//! so SQLite's `json_each` yields values that compare equal to the bound filter values.
//! Data source contexts, which have no schema, use a self-describing tagged JSON form.

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use serde_json::{json, Value as Json};
use sprig_value::{from_hex, to_hex, BigDecimal, BigInt, Entity, Id, Value};

use super::layout::{Column, ColumnType};
use super::numeric;

/// A value of `column` as an SQL value. The value must have the column's kind (the cache
/// validated it); nulls become NULL.
pub(crate) fn to_sql<'a>(value: &'a Value, column: &Column) -> Result<ToSqlOutput<'a>> {
    if value.is_null() {
        return Ok(ToSqlOutput::Owned(SqlValue::Null));
    }
    if column.list {
        let Value::List(items) = value else {
            bail!(mismatch(value, column));
        };
        let json = list_to_json(items, column.column_type)
            .map_err(|_| anyhow!(mismatch(value, column)))?;
        return Ok(ToSqlOutput::Owned(SqlValue::Text(json)));
    }
    scalar_to_sql(value, column.column_type).ok_or_else(|| anyhow!(mismatch(value, column)))
}

fn mismatch(value: &Value, column: &Column) -> String {
    let expected = column.column_type.value_name();
    let expected = if column.list {
        format!("[{expected}]")
    } else {
        expected.to_string()
    };
    format!(
        "the value `{value}` of type {} does not fit field `{}` of type {expected}",
        value.type_name(),
        column.field
    )
}

/// A scalar of `column_type` as an SQL value; `None` if the value has another kind.
pub(crate) fn scalar_to_sql(value: &Value, column_type: ColumnType) -> Option<ToSqlOutput<'_>> {
    use ToSqlOutput::{Borrowed, Owned};
    Some(match (column_type, value) {
        (ColumnType::Text, Value::String(s)) => Borrowed(ValueRef::Text(s.as_bytes())),
        (ColumnType::Bytes, Value::Bytes(b)) => Borrowed(ValueRef::Blob(b)),
        (ColumnType::Int, Value::Int(i)) => Owned(SqlValue::Integer(i64::from(*i))),
        (ColumnType::Int8, Value::Int8(i)) | (ColumnType::Timestamp, Value::Timestamp(i)) => {
            Owned(SqlValue::Integer(*i))
        }
        (ColumnType::Boolean, Value::Bool(b)) => Owned(SqlValue::Integer(i64::from(*b))),
        (ColumnType::BigInt, Value::BigInt(n)) => Owned(SqlValue::Blob(numeric::bigint_key(n))),
        (ColumnType::BigDecimal, Value::BigDecimal(d)) => {
            Owned(SqlValue::Blob(numeric::bigdecimal_key(d)))
        }
        _ => return None,
    })
}

/// An entity id as an SQL value for the `id` column `column`; fails if the id has another type.
pub(crate) fn id_to_sql<'a>(id: &'a Id, column: &Column) -> Result<ToSqlOutput<'a>> {
    Ok(match (id, column.column_type) {
        (Id::String(s), ColumnType::Text) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        (Id::Bytes(b), ColumnType::Bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        (Id::Int8(i), ColumnType::Int8) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
        _ => bail!(
            "the id `{id}` is not of the entity type's id type {}",
            column.column_type.value_name()
        ),
    })
}

/// Reads a column's value; NULL becomes `Value::Null`.
pub(crate) fn from_sql(value: ValueRef<'_>, column: &Column) -> Result<Value> {
    let decoded = match value {
        ValueRef::Null => Ok(Value::Null),
        ValueRef::Text(text) if column.list => std::str::from_utf8(text)
            .context("list column holds invalid UTF-8")
            .and_then(|text| list_from_json(text, column.column_type)),
        value => scalar_from_sql(value, column.column_type),
    };
    decoded.with_context(|| format!("cannot read the stored value of field `{}`", column.field))
}

fn scalar_from_sql(value: ValueRef<'_>, column_type: ColumnType) -> Result<Value> {
    Ok(match (column_type, value) {
        (ColumnType::Text, ValueRef::Text(t)) => {
            Value::String(String::from_utf8(t.to_vec()).context("invalid UTF-8")?)
        }
        (ColumnType::Bytes, ValueRef::Blob(b)) => Value::Bytes(b.to_vec()),
        (ColumnType::Int, ValueRef::Integer(i)) => {
            Value::Int(i32::try_from(i).context("Int value out of range")?)
        }
        (ColumnType::Int8, ValueRef::Integer(i)) => Value::Int8(i),
        (ColumnType::Timestamp, ValueRef::Integer(i)) => Value::Timestamp(i),
        (ColumnType::Boolean, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (ColumnType::BigInt, ValueRef::Blob(b)) => Value::BigInt(numeric::bigint_from_key(b)?),
        (ColumnType::BigDecimal, ValueRef::Blob(b)) => {
            Value::BigDecimal(numeric::bigdecimal_from_key(b)?)
        }
        (column_type, value) => bail!(
            "expected a {} but the column holds {:?}",
            column_type.value_name(),
            value.data_type()
        ),
    })
}

/// Reads an id column.
pub(crate) fn id_from_sql(value: ValueRef<'_>, column: &Column) -> Result<Id> {
    Ok(match from_sql(value, column)? {
        Value::String(s) => Id::String(s),
        Value::Bytes(b) => Id::Bytes(b),
        Value::Int8(i) => Id::Int8(i),
        other => bail!("invalid stored id `{other}`"),
    })
}

/// The JSON array text stored for a list.
pub(crate) fn list_to_json(items: &[Value], element: ColumnType) -> Result<String> {
    let items = items
        .iter()
        .map(|item| element_to_json(item, element))
        .collect::<Result<Vec<Json>>>()?;
    Ok(Json::Array(items).to_string())
}

/// One list element as stored in JSON.
pub(crate) fn element_to_json(item: &Value, element: ColumnType) -> Result<Json> {
    Ok(match (element, item) {
        (_, Value::Null) => Json::Null,
        (ColumnType::Text, Value::String(s)) => Json::String(s.clone()),
        (ColumnType::Bytes, Value::Bytes(b)) => Json::String(to_hex(b)),
        (ColumnType::Int, Value::Int(i)) => json!(i),
        (ColumnType::Int8, Value::Int8(i)) | (ColumnType::Timestamp, Value::Timestamp(i)) => {
            json!(i)
        }
        (ColumnType::Boolean, Value::Bool(b)) => Json::Bool(*b),
        (ColumnType::BigInt, Value::BigInt(n)) => Json::String(n.to_string()),
        (ColumnType::BigDecimal, Value::BigDecimal(d)) => Json::String(d.to_string()),
        _ => bail!(
            "list element `{item}` of type {} is not a {}",
            item.type_name(),
            element.value_name()
        ),
    })
}

fn list_from_json(text: &str, element: ColumnType) -> Result<Value> {
    let Json::Array(items) = serde_json::from_str(text).context("invalid JSON list")? else {
        bail!("stored list is not a JSON array");
    };
    items
        .iter()
        .map(|item| element_from_json(item, element))
        .collect::<Result<_>>()
        .map(Value::List)
}

fn element_from_json(item: &Json, element: ColumnType) -> Result<Value> {
    let invalid = || anyhow!("invalid {} list element `{item}`", element.value_name());
    Ok(match (element, item) {
        (_, Json::Null) => Value::Null,
        (ColumnType::Text, Json::String(s)) => Value::String(s.clone()),
        (ColumnType::Bytes, Json::String(s)) => Value::Bytes(from_hex(s)?),
        (ColumnType::Int, Json::Number(n)) => Value::Int(
            n.as_i64()
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(invalid)?,
        ),
        (ColumnType::Int8, Json::Number(n)) => Value::Int8(n.as_i64().ok_or_else(invalid)?),
        (ColumnType::Timestamp, Json::Number(n)) => {
            Value::Timestamp(n.as_i64().ok_or_else(invalid)?)
        }
        (ColumnType::Boolean, Json::Bool(b)) => Value::Bool(*b),
        (ColumnType::BigInt, Json::String(s)) => Value::BigInt(s.parse::<BigInt>()?),
        (ColumnType::BigDecimal, Json::String(s)) => Value::BigDecimal(s.parse::<BigDecimal>()?),
        _ => return Err(invalid()),
    })
}

/// A data source context as self-describing JSON: `{"field": {"BigInt": "12"}, ...}`.
pub(crate) fn context_to_json(context: &Entity) -> String {
    let fields = context
        .iter()
        .map(|(name, value)| (name.clone(), tagged(value)))
        .collect::<serde_json::Map<_, _>>();
    Json::Object(fields).to_string()
}

/// Reads what [`context_to_json`] wrote.
pub(crate) fn context_from_json(text: &str) -> Result<Entity> {
    let Json::Object(fields) = serde_json::from_str(text).context("invalid JSON")? else {
        bail!("data source context is not a JSON object");
    };
    fields
        .iter()
        .map(|(name, value)| Ok((name.clone(), untagged(value)?)))
        .collect()
}

fn tagged(value: &Value) -> Json {
    let (tag, inner) = match value {
        Value::String(s) => ("String", Json::String(s.clone())),
        Value::Int(i) => ("Int", json!(i)),
        Value::Int8(i) => ("Int8", json!(i)),
        Value::Timestamp(t) => ("Timestamp", json!(t)),
        Value::BigDecimal(d) => ("BigDecimal", Json::String(d.to_string())),
        Value::Bool(b) => ("Boolean", Json::Bool(*b)),
        Value::List(items) => ("List", Json::Array(items.iter().map(tagged).collect())),
        Value::Null => ("Null", Json::Null),
        Value::Bytes(b) => ("Bytes", Json::String(to_hex(b))),
        Value::BigInt(n) => ("BigInt", Json::String(n.to_string())),
    };
    json!({ tag: inner })
}

fn untagged(json: &Json) -> Result<Value> {
    let invalid = || anyhow!("invalid tagged value `{json}`");
    let Some((tag, inner)) = json.as_object().and_then(|o| o.iter().next()) else {
        return Err(invalid());
    };
    let int = || inner.as_i64().ok_or_else(invalid);
    let text = || inner.as_str().ok_or_else(invalid);
    Ok(match tag.as_str() {
        "String" => Value::String(text()?.to_string()),
        "Int" => Value::Int(i32::try_from(int()?)?),
        "Int8" => Value::Int8(int()?),
        "Timestamp" => Value::Timestamp(int()?),
        "BigDecimal" => Value::BigDecimal(text()?.parse()?),
        "Boolean" => Value::Bool(inner.as_bool().ok_or_else(invalid)?),
        "List" => {
            let items = inner.as_array().ok_or_else(invalid)?;
            Value::List(items.iter().map(untagged).collect::<Result<_>>()?)
        }
        "Null" => Value::Null,
        "Bytes" => Value::Bytes(from_hex(text()?)?),
        "BigInt" => Value::BigInt(text()?.parse()?),
        _ => return Err(invalid()),
    })
}

/// Data source params as a JSON array of strings.
pub(crate) fn params_to_json(params: &[String]) -> String {
    Json::from(params.to_vec()).to_string()
}

/// Reads what [`params_to_json`] wrote.
pub(crate) fn params_from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).context("invalid params JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_round_trip() {
        let context: Entity = [
            ("a", Value::String("x".into())),
            ("b", Value::BigInt(BigInt::from(-5))),
            (
                "c",
                Value::List(vec![Value::Bytes(vec![1, 2]), Value::Null]),
            ),
            ("d", Value::BigDecimal("1.5".parse().unwrap())),
            ("e", Value::Bool(true)),
            ("f", Value::Int(3)),
            ("g", Value::Int8(1 << 40)),
            ("h", Value::Timestamp(7)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            context_from_json(&context_to_json(&context)).unwrap(),
            context
        );
    }

    #[test]
    fn lists_round_trip() {
        let cases = [
            (
                ColumnType::Bytes,
                vec![Value::Bytes(vec![0xab]), Value::Null],
            ),
            (
                ColumnType::BigInt,
                vec![Value::BigInt(BigInt::from(i64::MIN))],
            ),
            (ColumnType::Int, vec![Value::Int(-1), Value::Int(2)]),
            (ColumnType::Boolean, vec![Value::Bool(false)]),
            (ColumnType::Text, vec![]),
        ];
        for (element, items) in cases {
            let json = list_to_json(&items, element).unwrap();
            assert_eq!(list_from_json(&json, element).unwrap(), Value::List(items));
        }
    }
}
