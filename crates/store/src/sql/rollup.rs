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

use std::borrow::Cow;
use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use sprig_manifest::sqlexpr::{Expr, SqlType};
use sprig_manifest::{Aggregate, AggregateArg, AggregateFn, BaseType, FieldType, ScalarType};
use sprig_value::{BigDecimal, BigInt, Entity, EntityKey, Id, Value};

use super::expr::{self, PgValue};
use super::layout::{ColumnType, Layout, Rollup, Table};
use super::query::{self, read_entity};
use super::{codec, int, Db, Param};
use crate::{EntityModification, EntityQuery, Filter, OrderDirection};

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
    values: Vec<Option<Slot>>,
}

/// An aggregate's value so far.
#[derive(Clone)]
enum Slot {
    /// Of a field argument (or `count`): already of the aggregate field's type.
    Value(Value),
    /// Of an expression: a PostgreSQL value, converted to the field's type when the row is
    /// finished, as graph-node's SQL aggregates first and assigns to the column after.
    Sql(PgValue),
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
    let timestamp = column_sql(source, "timestamp")?;
    let sql = format!(
        "SELECT {} FROM {} WHERE {timestamp} >= ?1 AND {timestamp} < ?2 ORDER BY id",
        source.select_list, source.sql
    );
    let groups = group_rows(
        db,
        source,
        rollup,
        &sql,
        &[int(from * MICROS), int(to * MICROS)],
    )?;
    for (key, data) in finish_groups(db, layout, rollup, groups, None, out)? {
        out.push(EntityModification::Insert { key, data });
    }
    Ok(())
}

/// The aggregation's unfinished bucket at `block` (graph-node's `current: include`): the rows of
/// the source timeseries after the last finished bucket, aggregated as a rollup would, one row
/// per combination of dimensions. `filters` (on `id`, `timestamp` and the dimensions) select
/// source rows, as graph-node applies an aggregation query's `where` to them. Cumulative
/// aggregates fold in the group's latest finished bucket visible at `block`.
///
/// graph-node takes the source rows from one second after the last finished bucket's end;
/// here the bucket's first second belongs to it too (a row at exactly the start of the hour is
/// in that hour's current bucket).
pub(crate) fn current_buckets(
    db: &mut impl Db,
    layout: &Layout,
    rollup: &Rollup,
    filters: &[Filter],
    block: u64,
) -> Result<Vec<Entity>> {
    let (source, table) = (
        &layout.tables()[rollup.source],
        &layout.tables()[rollup.table],
    );
    let number = super::meta::block_number(block)?;
    let last = db
        .first(
            &format!(
                "SELECT MAX({}) FROM {} WHERE {}",
                column_sql(table, "timestamp")?,
                table.sql,
                table.visible_at(Some(1))
            ),
            &[int(number)],
        )?
        .map(|row| super::Row(&row).opt_int(0))
        .transpose()?
        .flatten();
    let mut filters = filters.to_vec();
    if let Some(last) = last {
        let end = last + rollup.interval.seconds() * MICROS;
        filters.push(Filter::GreaterOrEqual(
            "timestamp".into(),
            Value::Timestamp(end),
        ));
    }
    let sql = query::collection(
        layout,
        source,
        &EntityQuery {
            entity_type: source.entity_type.clone(),
            filters,
            order_by: None,
            order_direction: OrderDirection::Ascending,
            first: u32::MAX,
            skip: 0,
            block: Some(block),
        },
    )?;
    let groups = group_rows(db, source, rollup, &sql.sql, &sql.params())?;
    Ok(finish_groups(db, layout, rollup, groups, Some(block), &[])?
        .into_iter()
        .map(|(_, data)| data)
        .collect())
}

/// Reads the source rows `sql` selects (in id order) and aggregates them by bucket and
/// dimensions.
fn group_rows(
    db: &mut impl Db,
    source: &Table,
    rollup: &Rollup,
    sql: &str,
    params: &[Param<'_>],
) -> Result<BTreeMap<GroupKey, Group>> {
    let aggregation = &rollup.aggregation;
    let seconds = rollup.interval.seconds();
    let dimensions: Vec<&str> = aggregation.dimensions().map(|f| f.name.as_str()).collect();
    let pg_args: Vec<Option<PgArg<'_>>> = aggregation
        .aggregates
        .iter()
        .map(|a| pg_arg(a, source))
        .collect();
    // Per aggregate, the constants PostgreSQL's planner folds in its expression. PostgreSQL
    // fails graph-node's rollup query while planning it when folding fails (`1/0` in an arm
    // no row takes), whatever the rows.
    let mut folds = Vec::with_capacity(aggregation.aggregates.len());
    for (aggregate, arg) in aggregation.aggregates.iter().zip(&pg_args) {
        folds.push(match arg {
            Some(arg) => {
                let f = expr::Folds::new(&arg.expr);
                expr::check_constants(&arg.expr, &f).with_context(|| {
                    format!("cannot evaluate `{}` for `{}`", arg.sql, aggregate.field)
                })?;
                Some(f)
            }
            None => None,
        });
    }
    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    db.query(sql, params, &mut |row| {
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
        for (((aggregate, value), folds), pg_arg) in aggregation
            .aggregates
            .iter()
            .zip(&mut group.values)
            .zip(&folds)
            .zip(&pg_args)
        {
            let field = &aggregation
                .field(&aggregate.field)
                .expect("aggregates are fields of their aggregation")
                .field_type;
            // `count` counts rows whatever its argument holds (graph-node's `count(*)`).
            if let (Some(PgArg { expr, sql }), Some(folds), false) =
                (pg_arg, folds, aggregate.func == AggregateFn::Count)
            {
                let arg = expr::eval(expr, &entity, folds).with_context(|| {
                    format!(
                        "cannot evaluate `{sql}` for `{}` on `{}`[{id}]",
                        aggregate.field, source.entity_type
                    )
                })?;
                if arg.is_null() {
                    continue;
                }
                let previous = match value.take() {
                    Some(Slot::Sql(v)) => Some(v),
                    _ => None,
                };
                *value = Some(Slot::Sql(combine_sql(aggregate.func, previous, arg)));
                continue;
            }
            let arg = match &aggregate.arg {
                Some(AggregateArg::Field(arg)) if aggregate.func != AggregateFn::Count => {
                    match entity.get(arg) {
                        None | Some(Value::Null) => continue,
                        Some(v) => widen(v, field)?,
                    }
                }
                _ => Value::Null,
            };
            let previous = match value.take() {
                Some(Slot::Value(v)) => Some(v),
                _ => None,
            };
            let next = match (aggregate.func, previous) {
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
            *value = Some(Slot::Value(next));
        }
        Ok(())
    })?;
    Ok(groups)
}

/// The aggregation rows of `groups`: id, bucket start, dimensions and aggregates, with
/// cumulative aggregates folded into the group's previous bucket (one computed earlier in
/// `pending`, or stored and visible at `block`; `None`: every stored row).
fn finish_groups(
    db: &mut impl Db,
    layout: &Layout,
    rollup: &Rollup,
    groups: BTreeMap<GroupKey, Group>,
    block: Option<u64>,
    pending: &[EntityModification],
) -> Result<Vec<(EntityKey, Entity)>> {
    let table = &layout.tables()[rollup.table];
    let source = &layout.tables()[rollup.source];
    let aggregation = &rollup.aggregation;
    let dimensions: Vec<&str> = aggregation.dimensions().map(|f| f.name.as_str()).collect();
    let cumulative = aggregation.aggregates.iter().any(|a| a.cumulative);
    // Which aggregates hold PostgreSQL-typed values (see `group_rows`), once for all groups.
    let pg_args: Vec<Option<PgArg<'_>>> = aggregation
        .aggregates
        .iter()
        .map(|a| pg_arg(a, source).filter(|_| a.func != AggregateFn::Count))
        .collect();
    let mut rows: Vec<(EntityKey, Entity)> = Vec::with_capacity(groups.len());
    for ((bucket, key), group) in groups {
        let mut data = Entity::new();
        data.insert("id".into(), Value::Int8(group.max_id));
        data.insert("timestamp".into(), Value::Timestamp(bucket * MICROS));
        for (name, value) in dimensions.iter().zip(&key) {
            if !value.is_null() {
                data.insert(name.to_string(), value.clone());
            }
        }
        let previous = if cumulative {
            // Buckets of this call come first: they are later than anything stored.
            let computed = rows.iter().rev().map(|(_, data)| data);
            previous_bucket(
                db,
                table,
                &dimensions,
                &key,
                bucket,
                block,
                computed,
                pending,
            )?
        } else {
            None
        };
        for ((aggregate, value), pg) in aggregation
            .aggregates
            .iter()
            .zip(group.values)
            .zip(&pg_args)
        {
            let earlier = previous
                .as_ref()
                .filter(|_| aggregate.cumulative)
                .and_then(|p| p.get(&aggregate.field))
                .filter(|v| !v.is_null());
            if let Some(pg) = pg {
                // Folded in PostgreSQL's types, then converted once, as graph-node's combining
                // query aggregates the previous row's column with the bucket's value.
                let value = match value {
                    Some(Slot::Sql(v)) => Some(v),
                    _ => None,
                };
                let value = match (earlier, value) {
                    (None, value) => value,
                    (Some(earlier), value) => {
                        let earlier = PgValue::from_value(earlier)?;
                        Some(match value {
                            None => earlier,
                            Some(value) => combine_sql(aggregate.func, Some(earlier), value),
                        })
                    }
                };
                if let Some(value) = value {
                    let field = aggregation
                        .field(&aggregate.field)
                        .expect("aggregates are fields of their aggregation");
                    let BaseType::Scalar(scalar) = field.field_type.base else {
                        bail!(
                            "`{}`: an expression into a non-scalar field",
                            aggregate.field
                        );
                    };
                    let value = value.into_value(scalar).with_context(|| {
                        format!(
                            "cannot store the aggregate of `{}` in `{}.{}`",
                            pg.sql, aggregation.name, aggregate.field
                        )
                    })?;
                    data.insert(aggregate.field.clone(), value);
                }
                continue;
            }
            let value = match value {
                Some(Slot::Value(v)) => Some(v),
                _ => None,
            };
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
        let key = EntityKey {
            entity_type: table.entity_type.clone(),
            id: Id::Int8(group.max_id),
        };
        rows.push((key, data));
    }
    Ok(rows)
}

/// The group's latest row before `bucket`: computed in this call (`computed`, latest first), in
/// this block (an earlier bucket of the same rollup, in `pending`) or stored (visible at
/// `block`; `None`: any). A group with a null dimension has none: graph-node finds the
/// previous row by SQL equality of the dimensions, which null never satisfies.
#[allow(clippy::too_many_arguments)]
fn previous_bucket<'e>(
    db: &mut impl Db,
    table: &Table,
    dimensions: &[&str],
    key: &[Value],
    bucket: i64,
    block: Option<u64>,
    computed: impl Iterator<Item = &'e Entity>,
    pending: &'e [EntityModification],
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
    let pending = pending.iter().rev().filter_map(|m| match m {
        EntityModification::Insert { key, data } if key.entity_type == table.entity_type => {
            Some(data)
        }
        _ => None,
    });
    if let Some(latest) = computed.chain(pending).find(|data| same_group(data)) {
        return Ok(Some(latest.clone()));
    }
    let timestamp = column_sql(table, "timestamp")?;
    let mut conditions = vec![format!("{timestamp} < ?1")];
    let mut params: Vec<Param<'_>> = vec![int(bucket * MICROS)];
    if let Some(block) = block {
        params.push(int(super::meta::block_number(block)?));
        conditions.push(table.visible_at(Some(params.len())));
    }
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

/// An aggregate's argument as graph-node's rollup SQL computes it, in PostgreSQL's types.
struct PgArg<'a> {
    expr: Cow<'a, Expr>,
    /// For messages: the expression as written, or the field's name.
    sql: &'a str,
}

/// The argument of an aggregate that PostgreSQL would compute in its own types: an expression,
/// or a numeric field (graph-node's `sum(int4)` is an int8 and `sum(numeric)` exact, converted
/// to the aggregate's column type once, so a running sum may leave the field's range as long as
/// the result does not, and long decimals are not rounded at every row). `None` for `count` and
/// for a field that is not a number (first/last of bytes or strings keep the value).
fn pg_arg<'a>(aggregate: &'a Aggregate, source: &Table) -> Option<PgArg<'a>> {
    match &aggregate.arg {
        Some(AggregateArg::Expr { sql, expr }) => Some(PgArg {
            expr: Cow::Borrowed(expr),
            sql,
        }),
        Some(AggregateArg::Field(name)) if aggregate.func != AggregateFn::Count => {
            let sql_type = match source.column(name)?.column_type {
                ColumnType::Int => SqlType::Int4,
                ColumnType::Int8 => SqlType::Int8,
                ColumnType::BigInt | ColumnType::BigDecimal => SqlType::Numeric,
                _ => return None,
            };
            Some(PgArg {
                expr: Cow::Owned(Expr::Field {
                    name: name.clone(),
                    sql_type,
                }),
                sql: name,
            })
        }
        _ => None,
    }
}

/// Folds the next value of an expression into an aggregate's value so far (the row order is
/// id order: `first` keeps the earlier, `last` takes the later).
pub(crate) fn combine_sql(func: AggregateFn, previous: Option<PgValue>, next: PgValue) -> PgValue {
    match (func, previous) {
        (AggregateFn::Sum | AggregateFn::Count, Some(previous)) => previous.sum(&next),
        (AggregateFn::Min, Some(previous)) => previous.min_max(next, false),
        (AggregateFn::Max, Some(previous)) => previous.min_max(next, true),
        (AggregateFn::First, Some(previous)) => previous,
        (_, None) | (AggregateFn::Last, _) => next,
    }
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
