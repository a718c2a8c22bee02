//! Aggregations (graph-node's "rollup"): when a block's time enters a new hour or day, the buckets
//! that ended since the previous block are computed from their timeseries rows and appended to
//! the aggregation's table for that interval, as rows written at that block (so a revert past
//! it deletes them and the next block crossing the boundary computes them again).
//!
//! The rows of the ended buckets are read with one shared query per aggregation and interval
//! and aggregated here rather than in SQL: BigInt and BigDecimal columns hold order-preserving
//! byte keys (`numeric.rs`) that SQL cannot add, and doing it in Rust uses the same exact
//! arithmetic as the mappings on both backends.
//!
//! A bucket holds one row per distinct combination of the dimensions' values among its source
//! rows; its `timestamp` is the bucket's start and its `id` the largest id of those rows
//! (unique, since every source row is in one bucket). Source rows are taken in id order, the
//! order the mappings wrote them in: `first` is the value of the lowest id, `last` of the
//! highest. Null arguments are skipped, as SQL aggregates skip them (`count` counts every row).
//! A cumulative aggregate also folds in the group's latest earlier bucket.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use sprig_manifest::{AggregateFn, BaseType, FieldType, ScalarType};
use sprig_value::{BigDecimal, BigInt, Entity, EntityKey, Id, Value};

use super::layout::{Layout, Rollup, Table};
use super::query::read_entity;
use super::{codec, int, Db, Param};
use crate::EntityModification;

/// Microseconds per second: `Timestamp` values are microseconds since the epoch.
const MICROS: i64 = 1_000_000;

/// The rows of every bucket that ended between the previous block's time and this block's
/// (both Unix seconds), ready to be written at this block. Empty when no bucket ended.
pub(crate) fn rollups(
    db: &mut impl Db,
    layout: &Layout,
    previous: u64,
    timestamp: u64,
) -> Result<Vec<EntityModification>> {
    let mut rows = Vec::new();
    for rollup in layout.rollups() {
        let seconds = rollup.interval.seconds();
        let start = |t: u64| -> Result<i64> {
            let t = i64::try_from(t).context("block timestamp out of range")?;
            Ok(t - t.rem_euclid(seconds))
        };
        let (from, to) = (start(previous)?, start(timestamp)?);
        if from < to {
            rollup_buckets(db, layout, rollup, from, to, &mut rows).with_context(|| {
                format!(
                    "cannot compute the `{}` aggregation by {} from `{}`",
                    rollup.aggregation.name,
                    rollup.interval.name(),
                    rollup.aggregation.source
                )
            })?;
        }
    }
    Ok(rows)
}

/// A bucket and dimension values: the key of one aggregation row.
type GroupKey = (i64, Vec<Value>);

/// One aggregation row being computed.
struct Group {
    max_id: i64,
    /// Per aggregate, in the aggregation's order: the value so far (`None` before any).
    values: Vec<Option<Value>>,
}

/// Computes the buckets starting in `from..to` (Unix seconds) of one aggregation and interval.
fn rollup_buckets(
    db: &mut impl Db,
    layout: &Layout,
    rollup: &Rollup,
    from: i64,
    to: i64,
    out: &mut Vec<EntityModification>,
) -> Result<()> {
    let source = &layout.tables()[rollup.source];
    let table = &layout.tables()[rollup.table];
    let aggregation = &rollup.aggregation;
    let timestamp = column_sql(source, "timestamp")?;
    let sql = format!(
        "SELECT {} FROM {} WHERE {timestamp} >= ?1 AND {timestamp} < ?2 ORDER BY id",
        source.select_list, source.sql
    );
    let seconds = rollup.interval.seconds();
    let dimensions: Vec<&str> = aggregation.dimensions().map(|f| f.name.as_str()).collect();
    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    db.query(&sql, &[int(from * MICROS), int(to * MICROS)], &mut |row| {
        let entity = read_entity(row, source)?;
        let Some(Value::Int8(id)) = entity.get("id") else {
            bail!("a timeseries row without an Int8 id");
        };
        let Some(Value::Timestamp(time)) = entity.get("timestamp") else {
            bail!("`{}`[{id}] has no timestamp", source.entity_type);
        };
        let bucket = time.div_euclid(MICROS * seconds) * seconds;
        let key = dimensions
            .iter()
            .map(|d| entity.get(*d).cloned().unwrap_or(Value::Null))
            .collect();
        let group = groups.entry((bucket, key)).or_insert_with(|| Group {
            max_id: *id,
            values: vec![None; aggregation.aggregates.len()],
        });
        group.max_id = group.max_id.max(*id);
        for (aggregate, value) in aggregation.aggregates.iter().zip(&mut group.values) {
            let field = &aggregation
                .field(&aggregate.field)
                .expect("aggregates are fields of their aggregation")
                .field_type;
            // `count` counts rows whatever its argument holds (graph-node's `count(*)`).
            let arg = match &aggregate.arg {
                Some(arg) if aggregate.func != AggregateFn::Count => match entity.get(arg) {
                    None | Some(Value::Null) => continue,
                    Some(v) => widen(v, field)?,
                },
                _ => Value::Null,
            };
            let next = match (aggregate.func, value.take()) {
                (AggregateFn::Count, previous) => {
                    add(previous.as_ref(), &widen(&Value::Int(1), field)?)?
                }
                (AggregateFn::Sum, previous) => add(previous.as_ref(), &arg)?,
                (AggregateFn::Min, Some(previous)) => previous.min(arg),
                (AggregateFn::Max, Some(previous)) => previous.max(arg),
                (AggregateFn::First, Some(previous)) => previous,
                (AggregateFn::Min | AggregateFn::Max | AggregateFn::First, None)
                | (AggregateFn::Last, _) => arg,
            };
            *value = Some(next);
        }
        Ok(())
    })?;
    for ((bucket, key), group) in groups {
        let mut data = Entity::new();
        data.insert("id".into(), Value::Int8(group.max_id));
        data.insert("timestamp".into(), Value::Timestamp(bucket * MICROS));
        for (name, value) in dimensions.iter().zip(&key) {
            if !value.is_null() {
                data.insert(name.to_string(), value.clone());
            }
        }
        let cumulative = aggregation.aggregates.iter().any(|a| a.cumulative);
        let previous = if cumulative {
            previous_bucket(db, table, &dimensions, &key, bucket, out)?
        } else {
            None
        };
        for (aggregate, value) in aggregation.aggregates.iter().zip(group.values) {
            let earlier = previous
                .as_ref()
                .filter(|_| aggregate.cumulative)
                .and_then(|p| p.get(&aggregate.field))
                .filter(|v| !v.is_null());
            let value = match (earlier, value) {
                (None, value) => value,
                (Some(earlier), None) => Some(earlier.clone()),
                (Some(earlier), Some(value)) => Some(match aggregate.func {
                    AggregateFn::Count | AggregateFn::Sum => add(Some(earlier), &value)?,
                    AggregateFn::Min => value.min(earlier.clone()),
                    AggregateFn::Max => value.max(earlier.clone()),
                    AggregateFn::First => earlier.clone(),
                    AggregateFn::Last => value,
                }),
            };
            if let Some(value) = value {
                data.insert(aggregate.field.clone(), value);
            }
        }
        out.push(EntityModification::Insert {
            key: EntityKey {
                entity_type: table.entity_type.clone(),
                id: Id::Int8(group.max_id),
            },
            data,
        });
    }
    Ok(())
}

/// The group's latest row before `bucket`: computed in this block (an earlier bucket of the same
/// rollup, in `pending`) or stored. A group with a null dimension has none: graph-node finds the
/// previous row by SQL equality of the dimensions, which null never satisfies.
fn previous_bucket(
    db: &mut impl Db,
    table: &Table,
    dimensions: &[&str],
    key: &[Value],
    bucket: i64,
    pending: &[EntityModification],
) -> Result<Option<Entity>> {
    if key.iter().any(Value::is_null) {
        return Ok(None);
    }
    let same_group = |data: &Entity| {
        dimensions
            .iter()
            .zip(key)
            .all(|(d, v)| data.get(*d).unwrap_or(&Value::Null) == v)
    };
    let latest_pending = pending.iter().rev().find_map(|m| match m {
        EntityModification::Insert { key, data }
            if key.entity_type == table.entity_type && same_group(data) =>
        {
            Some(data.clone())
        }
        _ => None,
    });
    if latest_pending.is_some() {
        return Ok(latest_pending);
    }
    let timestamp = column_sql(table, "timestamp")?;
    let mut conditions = vec![format!("{timestamp} < ?1")];
    let mut params: Vec<Param<'_>> = vec![int(bucket * MICROS)];
    for (dimension, value) in dimensions.iter().zip(key) {
        let column = table
            .column(dimension)
            .ok_or_else(|| anyhow!("no column for dimension `{dimension}`"))?;
        params.push(codec::to_sql(value, column)?);
        conditions.push(format!("{} = ?{}", column.sql, params.len()));
    }
    let sql = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {timestamp} DESC LIMIT 1",
        table.select_list,
        table.sql,
        conditions.join(" AND ")
    );
    db.first(&sql, &params)?
        .map(|row| read_entity(&row, table))
        .transpose()
}

fn column_sql<'t>(table: &'t Table, field: &str) -> Result<&'t str> {
    table
        .column(field)
        .map(|c| c.sql.as_str())
        .ok_or_else(|| anyhow!("`{}` has no `{field}` column", table.entity_type))
}

/// A source value as the aggregate field's numeric type (an `Int` summed into a `BigDecimal`);
/// other values as they are (the schema checked that they match).
fn widen(value: &Value, field: &FieldType) -> Result<Value> {
    let BaseType::Scalar(target) = field.base else {
        return Ok(value.clone());
    };
    Ok(match (value, target) {
        (Value::Int(i), ScalarType::Int8) => Value::Int8(i64::from(*i)),
        (Value::Int(i), ScalarType::BigInt) => Value::BigInt(BigInt::from(*i)),
        (Value::Int8(i), ScalarType::BigInt) => Value::BigInt(BigInt::from(*i)),
        (Value::Int(i), ScalarType::BigDecimal) => {
            Value::BigDecimal(BigDecimal::from(BigInt::from(*i)))
        }
        (Value::Int8(i), ScalarType::BigDecimal) => {
            Value::BigDecimal(BigDecimal::from(BigInt::from(*i)))
        }
        (Value::BigInt(i), ScalarType::BigDecimal) => {
            Value::BigDecimal(BigDecimal::from(i.clone()))
        }
        _ => value.clone(),
    })
}

/// `previous + value` for numbers of one type; `value` when there is no previous.
fn add(previous: Option<&Value>, value: &Value) -> Result<Value> {
    let Some(previous) = previous else {
        return Ok(value.clone());
    };
    Ok(match (previous, value) {
        (Value::Int(a), Value::Int(b)) => Value::Int(
            a.checked_add(*b)
                .ok_or_else(|| anyhow!("the Int sum {a} + {b} overflows"))?,
        ),
        (Value::Int8(a), Value::Int8(b)) => Value::Int8(
            a.checked_add(*b)
                .ok_or_else(|| anyhow!("the Int8 sum {a} + {b} overflows"))?,
        ),
        (Value::BigInt(a), Value::BigInt(b)) => Value::BigInt(a.plus(b)),
        (Value::BigDecimal(a), Value::BigDecimal(b)) => Value::BigDecimal(a.plus(b)),
        (a, b) => bail!(
            "cannot add {} `{a}` and {} `{b}`",
            a.type_name(),
            b.type_name()
        ),
    })
}
