//! Translates [`EntityQuery`] into SQL. Every value is a bound parameter; only identifiers from
//! the layout (quoted) and fixed operators enter the SQL text.
//!
//! Semantics follow graph-node's SQL (`relational_queries.rs`): SQL null handling, `in`/`not_in`
//! with an empty list match nothing, string `contains`/`starts_with`/`ends_with` take `LIKE`
//! pattern fragments (case-sensitive ones run as `GLOB` in SQLite, whose `LIKE` ignores ASCII
//! case), list `contains` means all values present and list `not_contains` means none present.
//! The SQL is shared by both backends; the few constructs that differ ask the table's
//! [`Dialect`].

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use sprig_manifest::Schema;
use sprig_value::{from_hex, BigDecimal, BigInt, Entity, EntityKey, Id, Value};

use super::codec;
use super::fulltext::{FulltextIndex, RankJoin};
use super::layout::{Column, ColumnType, Layout, Table, CAUSALITY_REGION};
use super::numeric;
use super::{Db, Dialect, Param, SqlValue};
use crate::{EntityQuery, Filter, OrderDirection};

/// SQL text and its parameters (`?1`, `?2`, ... in order).
pub(crate) struct SqlQuery {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl SqlQuery {
    /// The parameters, for [`Db`](super::Db).
    pub(crate) fn params(&self) -> Vec<Param<'_>> {
        self.params
            .iter()
            .map(|value| Param::Borrowed(ValueRef::from(value)))
            .collect()
    }
}

/// The SQL for a collection query against `table` (a table of `layout`, which child filters
/// look their tables up in).
pub(crate) fn collection(layout: &Layout, table: &Table, query: &EntityQuery) -> Result<SqlQuery> {
    let mut builder = Builder {
        layout,
        table,
        alias: "e".to_string(),
        block: None,
        params: Vec::new(),
        ranks: Vec::new(),
    };
    let block = match query.block {
        Some(block) => Some(builder.param(SqlValue::Integer(super::meta::block_number(block)?))),
        None => None,
    };
    builder.block = block;
    let mut conditions = vec![table.visible_at(block)];
    for filter in &query.filters {
        conditions.push(builder.filter(filter)?);
    }
    let order = builder.order_by(query)?;
    let limit = builder.param(SqlValue::Integer(i64::from(query.first)));
    let offset = builder.param(SqlValue::Integer(i64::from(query.skip)));
    Ok(SqlQuery {
        sql: format!(
            "{}SELECT {} FROM {} AS e{} WHERE {} ORDER BY {order} LIMIT ?{limit} OFFSET ?{offset}",
            match builder.ranks.is_empty() {
                true => String::new(),
                false => format!(
                    "WITH {} ",
                    builder
                        .ranks
                        .iter()
                        .map(|r| r.cte.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            table.select_list,
            table.sql,
            builder
                .ranks
                .iter()
                .map(|r| format!(" {}", r.join))
                .collect::<String>(),
            conditions.join(" AND ")
        ),
        params: builder.params,
    })
}

/// The entities a collection query against `table` selects.
pub(crate) fn entities(
    db: &mut impl Db,
    layout: &Layout,
    table: &Table,
    query: &EntityQuery,
) -> Result<Vec<Entity>> {
    let sql = collection(layout, table, query)?;
    let mut entities = Vec::new();
    db.query(&sql.sql, &sql.params(), &mut |row| {
        entities.push(read_entity(row, table)?);
        Ok(())
    })?;
    Ok(entities)
}

/// The current version of one entity for an onchain handler: file data sources' entities
/// (causality regions other than 0) are invisible to it, as in graph-node.
pub(crate) fn find_onchain(
    db: &mut impl Db,
    table: &Table,
    key: &EntityKey,
) -> Result<Option<Entity>> {
    let params = [codec::id_to_sql(&key.id, &table.id)?];
    let row = db.first(&table.onchain_sql, &params)?;
    row.map(|row| read_entity(&row, table)).transpose()
}

/// One entity of `table` by id: the current version (`block` is `None`) or the one visible at
/// `block`.
pub(crate) fn find(
    db: &mut impl Db,
    table: &Table,
    key: &EntityKey,
    block: Option<u64>,
) -> Result<Option<Entity>> {
    let block = block.map(super::meta::block_number).transpose()?;
    let mut params = vec![codec::id_to_sql(&key.id, &table.id)?];
    params.extend(block.map(super::int));
    let row = match block {
        Some(_) => db.first(&find_at_block_sql(table), &params)?,
        None => db.first(&table.current_sql, &params)?,
    };
    row.map(|row| read_entity(&row, table)).transpose()
}

/// The SQL for one entity by id (bound as `?1`) as of a block (bound as `?2`).
fn find_at_block_sql(table: &Table) -> String {
    if table.immutable {
        return format!(
            "SELECT {} FROM {} WHERE id = ?1 AND block_from <= ?2",
            table.select_list, table.sql
        );
    }
    // The only candidate is the id's latest version starting at or before the block; picking it
    // through the `(id, block_from)` index first keeps the lookup logarithmic even for an entity
    // with a version in every block.
    format!(
        "SELECT {0} FROM {1} WHERE vid = (SELECT vid FROM {1} WHERE id = ?1 AND block_from <= ?2 ORDER BY block_from DESC LIMIT 1) AND (block_to IS NULL OR block_to > ?2)",
        table.select_list, table.sql
    )
}

/// The current onchain (causality region 0) entities of `table` whose single-id field `field`
/// holds `id` (what a `@derivedFrom` field of the entity `id` refers to, for a handler).
pub(crate) fn derived(
    db: &mut impl Db,
    layout: &Layout,
    schema: &Schema,
    entity_type: &str,
    field: &str,
    id: &Id,
) -> Result<Vec<Entity>> {
    let mut run = || -> Result<Vec<Entity>> {
        let table = layout.require(entity_type, schema)?;
        let column = table.column(field).filter(|c| !c.list).ok_or_else(|| {
            anyhow!(
                "`{}` has no stored field `{field}` that holds one id",
                table.entity_type
            )
        })?;
        // The column's index of current rows answers this without a scan.
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ?1 AND {} AND {CAUSALITY_REGION} = 0",
            table.select_list,
            table.sql,
            column.sql,
            table.visible_at(None)
        );
        db.rows(&sql, &[codec::id_to_sql(id, column)?])?
            .iter()
            .map(|row| read_entity(row, table))
            .collect()
    };
    run().with_context(|| {
        format!("cannot load the `{entity_type}` entities whose `{field}` is {id}")
    })
}

/// Reads a row selected with `table.select_list` into an entity (null fields left out).
pub(crate) fn read_entity(row: &[SqlValue], table: &Table) -> Result<Entity> {
    let value = |i: usize| {
        row.get(i)
            .map(ValueRef::from)
            .ok_or_else(|| anyhow!("internal error: the row has no column {i}"))
    };
    let mut entity = Entity::new();
    let id = codec::id_from_sql(value(0)?, &table.id)?;
    for (i, column) in table.columns.iter().enumerate() {
        let value = codec::from_sql(value(i + 1)?, column)
            .with_context(|| format!("entity {}[{id}]", table.entity_type))?;
        if !value.is_null() {
            entity.insert(column.field.clone(), value);
        }
    }
    entity.insert("id".to_string(), id.to_value());
    Ok(entity)
}

struct Builder<'a> {
    layout: &'a Layout,
    /// The table conditions are about, known in the SQL as `alias` (the queried table is `e`;
    /// a child filter's table, in its `EXISTS` subquery, `<parent alias>c`).
    table: &'a Table,
    alias: String,
    /// The parameter holding the query's block, if it has one.
    block: Option<usize>,
    params: Vec<SqlValue>,
    /// What the ORDER BY needs joined (a search's ranks, on SQLite).
    ranks: Vec<RankJoin>,
}

impl Builder<'_> {
    /// Adds a parameter; returns its number.
    fn param(&mut self, value: SqlValue) -> usize {
        self.params.push(value);
        self.params.len()
    }

    fn column(&self, field: &str) -> Result<&Column> {
        self.table.column(field).ok_or_else(|| {
            anyhow!(
                "`{}` has no stored field `{field}` (derived fields cannot be filtered or sorted on directly)",
                self.table.entity_type
            )
        })
    }

    fn filter(&mut self, filter: &Filter) -> Result<String> {
        match filter {
            Filter::Equal(field, value) => self.compare(field, "=", value),
            Filter::Not(field, value) => self.compare(field, "!=", value),
            Filter::GreaterThan(field, value) => self.compare(field, ">", value),
            Filter::LessThan(field, value) => self.compare(field, "<", value),
            Filter::GreaterOrEqual(field, value) => self.compare(field, ">=", value),
            Filter::LessOrEqual(field, value) => self.compare(field, "<=", value),
            Filter::In(field, values) => self.in_list(field, values, false),
            Filter::NotIn(field, values) => self.in_list(field, values, true),
            Filter::Contains(field, value) => self.contains(field, value, false),
            Filter::NotContains(field, value) => self.contains(field, value, true),
            Filter::StringContains {
                field,
                substring,
                case_insensitive,
                negated,
            } => {
                // graph-node passes a pattern that already has a `%` at either end unchanged.
                let pattern = if substring.starts_with('%') || substring.ends_with('%') {
                    substring.clone()
                } else {
                    format!("%{substring}%")
                };
                self.like(field, &pattern, *case_insensitive, *negated)
            }
            Filter::StartsWith {
                field,
                prefix,
                case_insensitive,
                negated,
            } => self.like(field, &format!("{prefix}%"), *case_insensitive, *negated),
            Filter::EndsWith {
                field,
                suffix,
                case_insensitive,
                negated,
            } => self.like(field, &format!("%{suffix}"), *case_insensitive, *negated),
            Filter::And(filters) => self.junction(filters, " AND ", "TRUE"),
            Filter::Or(filters) => self.junction(filters, " OR ", "FALSE"),
            Filter::Child {
                field,
                child_type,
                filter,
            } => self.child(field, child_type, filter),
            Filter::ChangedSince(block) => {
                let n = self.param(SqlValue::Integer(super::meta::block_number(*block)?));
                Ok(format!("{}.block_from >= ?{n}", self.alias))
            }
            Filter::Fulltext(name, text) => {
                let table = self.table;
                let search = fulltext_search(table, name)?;
                search.condition(table.dialect, text, &mut |text| {
                    self.param(SqlValue::Text(text))
                })
            }
        }
    }

    /// graph-node's child sorting (`orderBy: owner__name`): the referenced entity's field at the
    /// query's block, through a reference or a derived field holding one entity; null when there
    /// is none. A subquery rather than a join, so that a row is never repeated.
    fn child_sort_key(&mut self, name: &str) -> Result<String> {
        let (field, child_field) = name.split_once("__").expect("checked by the caller");
        let cannot = |why: String| {
            anyhow!(
                "cannot order `{}` by `{name}`: {why}",
                self.table.entity_type
            )
        };
        let reference = self
            .table
            .references
            .get(field)
            .ok_or_else(|| cannot(format!("`{field}` does not refer to an entity")))?;
        if reference.list {
            return Err(cannot(format!("`{field}` is a list")));
        }
        let child = self.layout.table(&reference.target).ok_or_else(|| {
            cannot(format!(
                "`{}` is an interface (sorting by an interface's fields is not supported)",
                reference.target
            ))
        })?;
        let column = child
            .column(child_field)
            .filter(|c| !c.list)
            .ok_or_else(|| {
                cannot(format!(
                    "`{}` has no field `{child_field}` to sort by",
                    child.entity_type
                ))
            })?;
        let alias = format!("{}o", self.alias);
        let (link, through_list) = self.link(field, child, &alias)?;
        if through_list {
            return Err(cannot(format!("`{field}` is derived from a list")));
        }
        // Unqualified, `block_from`/`block_to` are the child's: the innermost table's columns.
        Ok(format!(
            "(SELECT {alias}.{} FROM {} AS {alias} WHERE {link} AND {} LIMIT 1)",
            column.sql,
            child.sql,
            child.visible_at(self.block)
        ))
    }

    /// The condition relating this row to a row of `child` (known as `alias`) through `field`:
    /// the reference (one id, or a list of them), or for a derived field the child's field
    /// pointing back (one id, or a list containing this row's id); and whether a list is involved.
    fn link(&self, field: &str, child: &Table, alias: &str) -> Result<(String, bool)> {
        let (parent, dialect) = (&self.alias, self.table.dialect);
        let reference = self.table.references.get(field).ok_or_else(|| {
            anyhow!(
                "`{}.{field}` does not refer to an entity",
                self.table.entity_type
            )
        })?;
        Ok(match &reference.derived_from {
            None => {
                let column = self.column(field)?;
                let reference = format!("{parent}.{}", column.sql);
                if column.list {
                    let id = format!("{alias}.id");
                    (
                        json_list_contains(dialect, &reference, &child.id, &id),
                        true,
                    )
                } else {
                    (format!("{alias}.id = {reference}"), false)
                }
            }
            Some(back) => {
                let column = child.column(back).ok_or_else(|| {
                    anyhow!(
                        "`{}` has no stored field `{back}` for `{field}` to derive from",
                        child.entity_type
                    )
                })?;
                let id = format!("{parent}.id");
                let back = format!("{alias}.{}", column.sql);
                if column.list {
                    (
                        json_list_contains(dialect, &back, &self.table.id, &id),
                        true,
                    )
                } else {
                    (format!("{back} = {id}"), false)
                }
            }
        })
    }

    /// graph-node's child filter: an `EXISTS` over the child table at the query's block, linked
    /// to this row as [`Builder::link`] relates them.
    fn child(&mut self, field: &str, child_type: &str, filter: &Filter) -> Result<String> {
        let child = self
            .layout
            .table(child_type)
            .ok_or_else(|| anyhow!("unknown entity type `{child_type}` in a child filter"))?;
        let alias = format!("{}c", self.alias);
        let (link, _) = self.link(field, child, &alias)?;
        // The child's conditions are built as if it were the queried table, with its alias;
        // they share this query's parameters.
        let outer = (
            std::mem::replace(&mut self.table, child),
            std::mem::replace(&mut self.alias, alias.clone()),
        );
        let condition = self.filter(filter);
        (self.table, self.alias) = outer;
        let condition = condition?;
        // Unqualified, `block_from`/`block_to` are the child's: the innermost table's columns.
        Ok(format!(
            "EXISTS (SELECT 1 FROM {} AS {alias} WHERE {link} AND {} AND {condition})",
            child.sql,
            child.visible_at(self.block)
        ))
    }

    fn junction(&mut self, filters: &[Filter], op: &str, empty: &str) -> Result<String> {
        if filters.is_empty() {
            return Ok(empty.to_string());
        }
        let parts = filters
            .iter()
            .map(|f| self.filter(f))
            .collect::<Result<Vec<_>>>()?;
        Ok(format!("({})", parts.join(op)))
    }

    fn compare(&mut self, field: &str, op: &str, value: &Value) -> Result<String> {
        let column = self.column(field)?;
        let sql = format!("{}.{}", self.alias, column.sql);
        if value.is_null() {
            return match op {
                "=" => Ok(format!("{sql} IS NULL")),
                "!=" => Ok(format!("{sql} IS NOT NULL")),
                _ => bail!("`{field}` can only be compared with null for (in)equality"),
            };
        }
        let param = if column.list {
            let (Value::List(items), "=" | "!=") = (value, op) else {
                bail!("list field `{field}` supports only equality, `contains` and `not_contains`");
            };
            let items = items
                .iter()
                .map(|item| coerce(item, column))
                .collect::<Result<Vec<_>>>()?;
            SqlValue::Text(codec::list_to_json(&items, column.column_type)?)
        } else {
            scalar_param(value, column)?
        };
        let n = self.param(param);
        Ok(format!("{sql} {op} ?{n}"))
    }

    fn in_list(&mut self, field: &str, values: &[Value], negated: bool) -> Result<String> {
        let column = self.column(field)?;
        if column.list {
            bail!("`in` and `not_in` are not supported on list field `{field}`");
        }
        if values.is_empty() {
            return Ok("FALSE".to_string());
        }
        let sql = format!("{}.{}", self.alias, column.sql);
        let mut parts = Vec::new();
        if values.iter().any(Value::is_null) {
            parts.push(format!(
                "{sql} IS{} NULL",
                if negated { " NOT" } else { "" }
            ));
        }
        let non_null = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| scalar_param(v, column))
            .collect::<Result<Vec<_>>>()?;
        if !non_null.is_empty() {
            let placeholders = non_null
                .into_iter()
                .map(|p| format!("?{}", self.param(p)))
                .collect::<Vec<_>>()
                .join(", ");
            let not = if negated { " NOT" } else { "" };
            parts.push(format!("{sql}{not} IN ({placeholders})"));
        }
        Ok(format!("({})", parts.join(" OR ")))
    }

    fn contains(&mut self, field: &str, value: &Value, negated: bool) -> Result<String> {
        let column = self.column(field)?;
        let sql = format!("{}.{}", self.alias, column.sql);
        if column.list {
            let items = match value {
                Value::List(items) => items.as_slice(),
                single => std::slice::from_ref(single),
            };
            let dialect = self.table.dialect;
            let mut params = Vec::with_capacity(items.len());
            for item in items {
                let json = codec::element_to_json(&coerce(item, column)?, column.column_type)?;
                params.push(match (dialect, json) {
                    // SQLite's `json_each` yields SQL values; PostgreSQL's elements are JSONB.
                    (Dialect::Postgres, json) => SqlValue::Text(json.to_string()),
                    (Dialect::Sqlite, serde_json::Value::String(s)) => SqlValue::Text(s),
                    (Dialect::Sqlite, serde_json::Value::Bool(b)) => {
                        SqlValue::Integer(i64::from(b))
                    }
                    (Dialect::Sqlite, serde_json::Value::Number(n)) => {
                        SqlValue::Integer(n.as_i64().context("list element out of range")?)
                    }
                    (Dialect::Sqlite, _) => SqlValue::Null,
                });
            }
            let placeholders: Vec<String> = params
                .into_iter()
                .map(|p| format!("?{}", self.param(p)))
                .collect();
            let element = |condition: String| {
                match dialect {
                Dialect::Sqlite => format!(
                    "EXISTS (SELECT 1 FROM json_each({sql}) AS j WHERE j.value {condition})"
                ),
                Dialect::Postgres => format!(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements({sql}) AS j(value) WHERE j.value {condition})"
                ),
            }
            };
            return Ok(match (negated, placeholders.is_empty()) {
                (_, true) => format!("{sql} IS NOT NULL"),
                (false, false) => {
                    let all: Vec<String> = placeholders
                        .iter()
                        .map(|p| element(format!("= {p}")))
                        .collect();
                    format!("({})", all.join(" AND "))
                }
                (true, false) => format!(
                    "({sql} IS NOT NULL AND NOT {})",
                    element(format!("IN ({})", placeholders.join(", ")))
                ),
            });
        }
        match (column.column_type, value) {
            (ColumnType::Text, Value::String(s)) => {
                self.like(field, &format!("%{s}%"), false, negated)
            }
            (ColumnType::Bytes, _) => {
                let n = self.param(scalar_param(value, column)?);
                let cmp = if negated { "= 0" } else { "> 0" };
                Ok(match self.table.dialect {
                    Dialect::Sqlite => format!("instr({sql}, ?{n}) {cmp}"),
                    Dialect::Postgres => format!("position(?{n} in {sql}) {cmp}"),
                })
            }
            _ => bail!(
                "`contains` is not supported on field `{field}` of type {}",
                column.column_type.value_name()
            ),
        }
    }

    fn like(
        &mut self,
        field: &str,
        pattern: &str,
        case_insensitive: bool,
        negated: bool,
    ) -> Result<String> {
        let column = self.column(field)?;
        if column.list || column.column_type != ColumnType::Text {
            bail!("string matching is only supported on String fields, not on `{field}`");
        }
        let sql = format!("{}.{}", self.alias, column.sql);
        let not = if negated { "NOT " } else { "" };
        Ok(match (self.table.dialect, case_insensitive) {
            (Dialect::Sqlite, true) => {
                let n = self.param(SqlValue::Text(pattern.to_string()));
                format!("{sql} {not}LIKE ?{n} ESCAPE '\\'")
            }
            (Dialect::Sqlite, false) => {
                let n = self.param(SqlValue::Text(like_to_glob(pattern)));
                format!("{sql} {not}GLOB ?{n}")
            }
            // A backslash escapes in PostgreSQL's patterns by default.
            (Dialect::Postgres, case_insensitive) => {
                let n = self.param(SqlValue::Text(pattern.to_string()));
                let op = if case_insensitive { "ILIKE" } else { "LIKE" };
                format!("{sql} {not}{op} ?{n}")
            }
        })
    }

    fn order_by(&mut self, query: &EntityQuery) -> Result<String> {
        let (dir, nulls) = match query.order_direction {
            // Postgres sorts nulls as larger than any value.
            OrderDirection::Ascending => ("ASC", "LAST"),
            OrderDirection::Descending => ("DESC", "FIRST"),
        };
        match query.order_by.as_deref() {
            None | Some("id") => Ok(format!("{}.id {dir}", self.alias)),
            Some(name) if self.table.fulltext(name).is_some() => {
                let text = query
                    .filters
                    .iter()
                    .find_map(|f| match f {
                        Filter::Fulltext(search, text) if search == name => Some(text),
                        _ => None,
                    })
                    .ok_or_else(|| {
                        anyhow!("ordering by the rank of `{name}` needs a `{name}` search filter")
                    })?;
                let table = self.table;
                let (order, join) =
                    table
                        .fulltext(name)
                        .unwrap()
                        .order_by(table.dialect, text, &mut |text| {
                            self.param(SqlValue::Text(text))
                        })?;
                self.ranks.extend(join);
                Ok(order)
            }
            Some(name) if name.contains("__") => {
                let key = self.child_sort_key(name)?;
                Ok(format!(
                    "{key} {dir} NULLS {nulls}, {}.id {dir}",
                    self.alias
                ))
            }
            Some(field) => {
                let column = self.column(field)?;
                if column.list {
                    bail!("cannot order by list field `{field}`");
                }
                let e = &self.alias;
                Ok(format!(
                    "{e}.{} {dir} NULLS {nulls}, {e}.id {dir}",
                    column.sql
                ))
            }
        }
    }
}

/// Whether the JSON list in `list` (a list column) holds the id in `id`, an id column like
/// `id_column`: list elements are stored as [`codec::element_to_json`] writes them (ids as
/// strings, bytes as `0x` hex, Int8 as numbers), so the id is turned into that form.
fn json_list_contains(dialect: Dialect, list: &str, id_column: &Column, id: &str) -> String {
    match dialect {
        Dialect::Sqlite => {
            let element = match id_column.column_type {
                ColumnType::Bytes => format!("'0x' || lower(hex({id}))"),
                _ => id.to_string(),
            };
            format!("EXISTS (SELECT 1 FROM json_each({list}) AS j WHERE j.value = {element})")
        }
        Dialect::Postgres => {
            let element = match id_column.column_type {
                ColumnType::Bytes => format!("to_jsonb('0x' || encode({id}, 'hex'))"),
                _ => format!("to_jsonb({id})"),
            };
            format!("{list} @> jsonb_build_array({element})")
        }
    }
}

/// The `@fulltext` search `name` over `table`, or an error naming it.
fn fulltext_search<'a>(table: &'a Table, name: &str) -> Result<&'a FulltextIndex> {
    table
        .fulltext(name)
        .ok_or_else(|| anyhow!("`{}` has no @fulltext search `{name}`", table.entity_type))
}

/// A filter value for a scalar column, as a parameter. Numbers of either big type compare
/// against either big column type, since they share one encoding.
fn scalar_param(value: &Value, column: &Column) -> Result<SqlValue> {
    if matches!(
        column.column_type,
        ColumnType::BigInt | ColumnType::BigDecimal
    ) {
        match value {
            Value::BigInt(n) => return Ok(SqlValue::Blob(numeric::bigint_key(n))),
            Value::BigDecimal(d) => return Ok(SqlValue::Blob(numeric::bigdecimal_key(d))),
            _ => {}
        }
    }
    let value = coerce(value, column)?;
    let output = codec::scalar_to_sql(&value, column.column_type).with_context(|| {
        format!(
            "internal error: coerced `{value}` does not fit `{}`",
            column.field
        )
    })?;
    Ok(match output {
        ToSqlOutput::Borrowed(v) => v.into(),
        ToSqlOutput::Owned(v) => v,
        _ => bail!("internal error: unexpected SQL value"),
    })
}

/// `value` as a value of the column's (element) type, accepting the unambiguous spellings a
/// query layer may have: decimal strings for numbers, hex strings for Bytes, any integer kind
/// for integer columns.
fn coerce(value: &Value, column: &Column) -> Result<Value> {
    use ColumnType as C;
    let integer = |value: &Value| -> Option<i64> {
        match value {
            Value::Int(i) => Some(i64::from(*i)),
            Value::Int8(i) | Value::Timestamp(i) => Some(*i),
            Value::BigInt(n) => n.to_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    };
    let coerced = match (column.column_type, value) {
        (_, Value::Null) => Some(Value::Null),
        (C::Text, Value::String(_))
        | (C::Bytes, Value::Bytes(_))
        | (C::Boolean, Value::Bool(_))
        | (C::BigInt, Value::BigInt(_))
        | (C::BigDecimal, Value::BigDecimal(_)) => Some(value.clone()),
        (C::Bytes, Value::String(s)) => from_hex(s).ok().map(Value::Bytes),
        (C::Int, v) => integer(v)
            .and_then(|i| i32::try_from(i).ok())
            .map(Value::Int),
        (C::Int8, v) => integer(v).map(Value::Int8),
        (C::Timestamp, v) => integer(v).map(Value::Timestamp),
        (C::BigInt, Value::String(s)) => s.parse::<BigInt>().ok().map(Value::BigInt),
        (C::BigInt, v) => integer(v).map(|i| Value::BigInt(BigInt::from(i))),
        (C::BigDecimal, Value::String(s)) => s.parse::<BigDecimal>().ok().map(Value::BigDecimal),
        (C::BigDecimal, Value::BigInt(n)) => Some(Value::BigDecimal(BigDecimal::from(n.clone()))),
        (C::BigDecimal, v) => {
            integer(v).map(|i| Value::BigDecimal(BigDecimal::from(BigInt::from(i))))
        }
        _ => None,
    };
    coerced.ok_or_else(|| {
        anyhow!(
            "filter value `{value}` of type {} does not fit field `{}` of type {}",
            value.type_name(),
            column.field,
            column.column_type.value_name()
        )
    })
}

/// A `LIKE` pattern (`%`, `_`, backslash escapes) as an equivalent case-sensitive `GLOB` pattern.
fn like_to_glob(pattern: &str) -> String {
    fn literal(out: &mut String, c: char) {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '\\' => literal(&mut out, chars.next().unwrap_or('\\')),
            c => literal(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_like_patterns_to_glob() {
        assert_eq!(like_to_glob("%a_b%"), "*a?b*");
        assert_eq!(like_to_glob("a*b?[c]"), "a[*]b[?][[]c]");
        assert_eq!(like_to_glob("100\\%"), "100%");
        assert_eq!(like_to_glob("x\\"), "x\\");
    }
}
