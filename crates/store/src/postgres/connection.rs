//! PostgreSQL connections, each on a thread of its own, running the shared SQL of `crate::sql`.
//!
//! Why threads: the store's interface is synchronous (the entity cache reads through it from
//! inside wasm host calls), and the synchronous `postgres` client drives tokio-postgres with a
//! runtime of its own, which must not be entered from a task of another runtime, exactly where
//! the indexer and the query server call the store. A job sent to a connection's thread runs
//! there, and the caller blocks until it is done, as it would on a SQLite call.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;

use anyhow::{anyhow, Context, Result};
use bytes::{BufMut, BytesMut};
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};
use rusqlite::types::ValueRef;

use crate::sql::{Db, Param, SqlValue, UniqueViolation};

/// Prepared statements kept per connection; queries built from GraphQL filters vary, so the
/// cache is cleared when it grows past this.
const MAX_STATEMENTS: usize = 2048;

type Job = Box<dyn FnOnce(&mut PgDb) + Send>;

/// A connection owned by a thread; [`run`](Connection::run) executes work on it.
pub(crate) struct Connection {
    jobs: mpsc::Sender<Job>,
}

impl Connection {
    /// Connects with `config` and runs `setup` on the new connection before any job.
    pub(crate) fn open(config: &postgres::Config, name: &str) -> Result<Connection> {
        let config = config.clone();
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel::<Result<()>>(1);
        thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let db =
                    config
                        .connect(NoTls)
                        .map_err(anyhow::Error::from)
                        .and_then(|mut client| {
                            // Sprig's own tables live in schema `sprig`; entity tables are always
                            // named with their deployment's schema.
                            client.batch_execute("SET search_path TO sprig")?;
                            Ok(PgDb::new(client))
                        });
                let mut db = match db {
                    Ok(db) => {
                        let _ = ready.send(Ok(()));
                        db
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                for job in queue {
                    // A panicking job drops its reply channel, which its caller reports; the
                    // connection stays usable once its transaction, if any, is rolled back.
                    if catch_unwind(AssertUnwindSafe(|| job(&mut db))).is_err() {
                        db.rollback();
                    }
                }
            })
            .context("cannot start a database connection thread")?;
        connected
            .recv()
            .map_err(|_| anyhow!("the database connection thread stopped"))?
            .context("cannot connect to PostgreSQL")?;
        Ok(Connection { jobs })
    }

    /// Runs `job` on the connection and waits for its result.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut PgDb) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, result) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |db| {
                let _ = reply.send(job(db));
            }))
            .map_err(|_| anyhow!("the database connection is closed"))?;
        result
            .recv()
            .map_err(|_| anyhow!("internal error: a database operation panicked"))?
    }
}

/// A client with its prepared statements and transaction state.
pub(crate) struct PgDb {
    client: Client,
    statements: HashMap<String, Statement>,
    in_transaction: bool,
}

impl PgDb {
    fn new(client: Client) -> PgDb {
        PgDb {
            client,
            statements: HashMap::new(),
            in_transaction: false,
        }
    }

    /// Starts a transaction unless one is open.
    pub(crate) fn begin(&mut self) -> Result<()> {
        if !self.in_transaction {
            self.client.batch_execute("BEGIN")?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Commits the open transaction, if any.
    pub(crate) fn commit(&mut self) -> Result<()> {
        if self.in_transaction {
            // Whatever happens, the transaction is over: a failed COMMIT rolls back.
            self.in_transaction = false;
            self.client.batch_execute("COMMIT")?;
        }
        Ok(())
    }

    /// Rolls back the open transaction, if any.
    pub(crate) fn rollback(&mut self) {
        if self.in_transaction {
            self.in_transaction = false;
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }

    /// Runs `work` in a transaction of its own, after committing the open one (deferred
    /// blocks) if any: committed if `work` succeeds, rolled back if it fails.
    pub(crate) fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut PgDb) -> Result<T>,
    ) -> Result<T> {
        self.commit()?;
        self.begin()?;
        match work(self) {
            Ok(value) => self.commit().map(|()| value),
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    fn prepare(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        let statement = self
            .client
            .prepare(&dollar_params(sql))
            .with_context(|| format!("cannot prepare `{sql}`"))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

impl Db for PgDb {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let statement = self.prepare(sql)?;
        let params: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.client.execute(&statement, &refs).map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                UniqueViolation.into()
            } else {
                anyhow::Error::from(e)
            }
        })
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        row: &mut dyn FnMut(&[SqlValue]) -> Result<()>,
    ) -> Result<()> {
        let statement = self.prepare(sql)?;
        let params: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let mut values = Vec::with_capacity(statement.columns().len());
        for r in self.client.query(&statement, &refs)? {
            values.clear();
            for i in 0..r.len() {
                values.push(r.try_get::<_, PgValue>(i)?.0);
            }
            row(&values)?;
        }
        Ok(())
    }
}

/// Shared SQL numbers its parameters `?N`; PostgreSQL's are `$N`. Quoted literals and
/// identifiers are left alone.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A shared SQL parameter, encoded as whatever type PostgreSQL inferred for its place: an
/// integer can go to INT2/INT4/INT8 or BOOLEAN (SQLite stores booleans as 0 and 1), text to
/// TEXT or JSON(B), a blob to BYTEA.
#[derive(Debug)]
struct PgParam<'a>(&'a Param<'a>);

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for PgParam<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let value = match self.0 {
            Param::Borrowed(value) => *value,
            Param::Owned(value) => ValueRef::from(value),
            other => return Err(format!("unsupported parameter {other:?}").into()),
        };
        match (value, ty) {
            (ValueRef::Null, _) => return Ok(IsNull::Yes),
            (ValueRef::Integer(i), &Type::INT8) => return i.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::INT4) => return i32::try_from(i)?.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::INT2) => return i16::try_from(i)?.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::BOOL) => return (i != 0).to_sql(ty, out),
            (ValueRef::Real(f), &Type::FLOAT8) => return f.to_sql(ty, out),
            (ValueRef::Text(text), &Type::JSONB) => {
                // JSONB's binary format: a version byte, then the JSON text.
                out.put_u8(1);
                out.put_slice(text);
            }
            (ValueRef::Text(text), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::JSON) => {
                out.put_slice(text)
            }
            (ValueRef::Blob(blob), &Type::BYTEA) => out.put_slice(blob),
            (value, ty) => {
                return Err(format!("cannot pass {value:?} as a parameter of type {ty}").into())
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A column value read back as a shared SQL value: the inverse of [`PgParam`].
struct PgValue(SqlValue);

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<PgValue, BoxError> {
        Ok(PgValue(match *ty {
            Type::INT8 => SqlValue::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => SqlValue::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => SqlValue::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => SqlValue::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => SqlValue::Real(f64::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON => {
                SqlValue::Text(String::from_sql(ty, raw)?)
            }
            Type::JSONB => match raw.split_first() {
                Some((1, text)) => SqlValue::Text(std::str::from_utf8(text)?.to_string()),
                _ => return Err("unknown JSONB format".into()),
            },
            Type::BYTEA => SqlValue::Blob(raw.to_vec()),
            ref other => return Err(format!("unsupported column type {other}").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<PgValue, BoxError> {
        Ok(PgValue(SqlValue::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::dollar_params;

    #[test]
    fn numbers_parameters_the_postgres_way() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b = ?1 AND c LIKE ?12"),
            "SELECT a FROM t WHERE b = $1 AND c LIKE $12"
        );
        assert_eq!(
            dollar_params("SELECT '?1', \"?2\" WHERE x = ?3"),
            "SELECT '?1', \"?2\" WHERE x = $3"
        );
    }
}
