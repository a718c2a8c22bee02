//! The relational model both backends share: how entity types become tables (`layout.rs`), how
//! values become SQL values (`codec.rs`, `numeric.rs`), the SQL of queries (`query.rs`), block
//! commits and reverts (`write.rs`), aggregations' buckets (`rollup.rs`), the metadata tables
//! (`meta.rs`) and grafting, the copy of another deployment's data (`graft.rs`).
//!
//! Shared SQL is written once, in SQLite's `?N` parameter style, and runs through [`Db`], which
//! each backend implements for its connections (PostgreSQL's translates `?N` to `$N`). Values
//! cross the boundary as rusqlite's dynamic SQL values ([`SqlValue`], [`Param`]): SQLite takes
//! them as they are, and the PostgreSQL backend converts each to the type the server expects for
//! that parameter. Where the two SQL dialects differ (DDL types, string matching, JSON lists), the
//! code asks [`Dialect`].

pub(crate) mod codec;
pub(crate) mod expr;
pub(crate) mod fulltext;
pub(crate) mod graft;
pub(crate) mod layout;
pub(crate) mod meta;
pub(crate) mod numeric;
pub(crate) mod query;
pub(crate) mod rollup;
pub(crate) mod write;

#[cfg(test)]
pub(crate) mod test_rng;

use anyhow::{anyhow, bail, Result};

/// A value read from a row.
pub(crate) use rusqlite::types::Value as SqlValue;

/// A statement parameter: a borrowed or owned SQL value.
pub(crate) type Param<'a> = rusqlite::types::ToSqlOutput<'a>;

/// Which SQL dialect a statement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection, or a transaction on one, that runs shared SQL.
pub(crate) trait Db {
    /// Runs one statement written with `?N` parameters; returns how many rows it changed.
    /// A violated uniqueness constraint comes back as [`UniqueViolation`].
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;

    /// Runs statements without parameters (DDL).
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Runs a query written with `?N` parameters and hands each row to `row`.
    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        row: &mut dyn FnMut(&[SqlValue]) -> Result<()>,
    ) -> Result<()>;

    /// All rows of a query.
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<SqlValue>>> {
        let mut rows = Vec::new();
        self.query(sql, params, &mut |row| {
            rows.push(row.to_vec());
            Ok(())
        })?;
        Ok(rows)
    }

    /// The first row of a query, if any.
    fn first(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Vec<SqlValue>>> {
        let mut first = None;
        self.query(sql, params, &mut |row| {
            if first.is_none() {
                first = Some(row.to_vec());
            }
            Ok(())
        })?;
        Ok(first)
    }
}

/// The error of a statement that would have broken a uniqueness constraint.
#[derive(Debug, thiserror::Error)]
#[error("a row with the same key already exists")]
pub(crate) struct UniqueViolation;

/// An integer parameter.
pub(crate) fn int(value: i64) -> Param<'static> {
    Param::Owned(SqlValue::Integer(value))
}

/// A text parameter.
pub(crate) fn text(value: &str) -> Param<'_> {
    Param::Borrowed(rusqlite::types::ValueRef::Text(value.as_bytes()))
}

/// A blob parameter.
pub(crate) fn blob(value: &[u8]) -> Param<'_> {
    Param::Borrowed(rusqlite::types::ValueRef::Blob(value))
}

/// A nullable parameter.
pub(crate) fn nullable<'a, T: ?Sized>(
    value: Option<&'a T>,
    param: impl FnOnce(&'a T) -> Param<'a>,
) -> Param<'a> {
    value.map_or(Param::Owned(SqlValue::Null), param)
}

/// Typed access to the values of a row.
pub(crate) struct Row<'a>(pub &'a [SqlValue]);

impl Row<'_> {
    fn value(&self, i: usize) -> Result<&SqlValue> {
        self.0
            .get(i)
            .ok_or_else(|| anyhow!("internal error: the row has no column {i}"))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.value(i)? {
            SqlValue::Null => Ok(None),
            SqlValue::Integer(v) => Ok(Some(*v)),
            other => bail!("expected an integer in column {i}, found {other:?}"),
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| anyhow!("unexpected NULL in column {i}"))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.value(i)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(v) => Ok(Some(v.clone())),
            other => bail!("expected text in column {i}, found {other:?}"),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| anyhow!("unexpected NULL in column {i}"))
    }

    pub(crate) fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.value(i)? {
            SqlValue::Null => Ok(None),
            SqlValue::Blob(v) => Ok(Some(v.clone())),
            other => bail!("expected a blob in column {i}, found {other:?}"),
        }
    }

    pub(crate) fn blob(&self, i: usize) -> Result<Vec<u8>> {
        self.opt_blob(i)?
            .ok_or_else(|| anyhow!("unexpected NULL in column {i}"))
    }
}
