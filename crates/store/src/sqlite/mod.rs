//! The SQLite backend: one database file holding any number of deployments.
//!
//! Concurrency: SQLite allows one writer per file, so a store has a single writer connection
//! behind a mutex, shared by its deployments; indexing (writes and the entity cache's reads) goes
//! through it. Queries use separate reader connections from a small pool. In WAL mode readers see
//! the last committed transaction and never wait for the writer, so GraphQL queries do not stall
//! behind indexing, and since a block is one transaction they never see half of one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{Connection, TransactionBehavior};
use sprig_manifest::Schema;
use sprig_value::{BlockPtr, Entity, EntityKey, Id};

use crate::sql::graft;
use crate::sql::layout::{Layout, Table};
use crate::sql::{meta, query, rollup, write, Db, Dialect, Param, SqlValue, UniqueViolation};
use crate::{
    BlockWrite, DeploymentStatus, EntityQuery, EntityReader, Filter, PruneReport, QueryStore,
    StoredDataSource, WritableStore,
};
use crate::{DeploymentOrigin, DeploymentSummary};

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements the writer keeps for metadata, and per entity table (insert, close,
/// lookup, two for reverts, and some room); inserts and closes have one statement per batch size.
const BASE_STATEMENTS: usize = 32;
const STATEMENTS_PER_TABLE: usize = 24;

/// Idle reader connections kept for reuse; more are opened under load and closed after.
const MAX_IDLE_READERS: usize = 8;

/// A SQLite database file holding deployments.
#[derive(Clone)]
pub struct SqliteStore {
    connections: Arc<Connections>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it (and its parent directories) if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let writer = open_connection(path, false)?;
        let journal_mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            bail!(
                "cannot use write-ahead logging for {} (journal mode is `{journal_mode}`); put the database on a local file system",
                path.display()
            );
        }
        // With WAL, NORMAL cannot corrupt the database; a power loss may drop the last commits,
        // which indexing simply redoes from the stored head.
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.set_prepared_statement_cache_capacity(BASE_STATEMENTS);
        init(&writer).with_context(|| format!("cannot open database {}", path.display()))?;
        Ok(SqliteStore {
            connections: Arc::new(Connections {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                writer_statements: AtomicUsize::new(BASE_STATEMENTS),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.connections.path
    }

    /// The deployment `name`, created with `schema` if it does not exist yet. An existing
    /// deployment must have been created with the same schema.
    pub fn deployment(&self, name: &str, schema: Arc<Schema>) -> Result<SqliteDeployment> {
        self.deployment_from(name, schema, &DeploymentOrigin::default())
    }

    /// See [`crate::Store::deployment_from`].
    pub fn deployment_from(
        &self,
        name: &str,
        schema: Arc<Schema>,
        origin: &DeploymentOrigin,
    ) -> Result<SqliteDeployment> {
        if name.is_empty() {
            bail!("a deployment name must not be empty");
        }
        let mut writer = self.connections.writer();
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (id, layout) = meta::find_or_create(
            &mut SqliteDb(&tx),
            Dialect::Sqlite,
            name,
            &schema,
            origin,
            &self.path().display().to_string(),
            "use another --name, or delete the database file to start over",
        )?;
        tx.commit()?;
        // Each table has a few statements on the hot path; keep those of every open deployment
        // prepared, since they share the writer.
        let capacity = self.connections.writer_statements.fetch_add(
            STATEMENTS_PER_TABLE * layout.tables().len(),
            Ordering::Relaxed,
        );
        writer.set_prepared_statement_cache_capacity(
            capacity + STATEMENTS_PER_TABLE * layout.tables().len(),
        );
        drop(writer);
        Ok(SqliteDeployment {
            inner: Arc::new(Deployment {
                name: name.to_string(),
                id,
                schema,
                layout,
                connections: Arc::clone(&self.connections),
            }),
        })
    }

    /// Opens an existing deployment with the schema it was created with (for serving queries
    /// without the subgraph's files).
    pub fn open_deployment(&self, name: &str) -> Result<SqliteDeployment> {
        let sdl = meta::schema_sdl(&mut SqliteDb(&self.connections.writer()), name)?
            .ok_or_else(|| anyhow!("{} has no subgraph named `{name}`", self.path().display()))?;
        let schema = Schema::parse(&sdl)
            .with_context(|| format!("the stored schema of `{name}` does not parse"))?;
        self.deployment(name, Arc::new(schema))
    }

    /// The names of the deployments in this database, sorted.
    pub fn deployment_names(&self) -> Result<Vec<String>> {
        meta::names(&mut SqliteDb(&self.connections.writer()))
    }

    /// Every deployment with its id and graft point, sorted by name.
    pub fn deployments(&self) -> Result<Vec<DeploymentSummary>> {
        graft::summaries(&mut SqliteDb(&self.connections.writer()))
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.connections.path)
            .finish_non_exhaustive()
    }
}

struct Connections {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// The writer's prepared statement cache capacity.
    writer_statements: AtomicUsize,
    readers: Mutex<Vec<Connection>>,
}

impl Connections {
    /// The writer connection. A panic while it was held leaves nothing half-done (an open
    /// transaction rolls back when dropped), so a poisoned lock is still usable.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on a reader connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_connection(&self.path, true)?,
        };
        let result = f(&conn);
        let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// The version of the database layout, kept in `PRAGMA user_version`; bump it when the layout
/// changes incompatibly.
const FORMAT_VERSION: i64 = 3;

/// Creates the metadata table in a new database, or checks that an existing database has a
/// layout this version understands.
fn init(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match version {
        0 => {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS deployments (
                   id INTEGER PRIMARY KEY,
                   name TEXT NOT NULL UNIQUE,
                   schema TEXT NOT NULL,
                   schema_sdl TEXT NOT NULL,
                   head_number INTEGER,
                   head_hash BLOB,
                   head_timestamp INTEGER,
                   failure_block_number INTEGER,
                   failure_block_hash BLOB,
                   failure_handler TEXT,
                   failure_message TEXT,
                   failure_fatal INTEGER,
                   earliest_block INTEGER NOT NULL DEFAULT 0
                 )",
            )?;
            conn.pragma_update(None, "user_version", FORMAT_VERSION)?;
        }
        // Version 1 had no pruning; version 2 no causality regions (file data sources).
        1 | 2 => {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let upgrade = || -> Result<()> {
                if version == 1 {
                    conn.execute_batch(
                        "ALTER TABLE deployments ADD COLUMN earliest_block INTEGER NOT NULL DEFAULT 0",
                    )?;
                }
                crate::sql::meta::upgrade_deployments_to_v3(
                    &mut SqliteDb(conn),
                    crate::sql::Dialect::Sqlite,
                )?;
                conn.pragma_update(None, "user_version", FORMAT_VERSION)?;
                Ok(())
            };
            match upgrade() {
                Ok(()) => conn.execute_batch("COMMIT")?,
                Err(e) => {
                    conn.execute_batch("ROLLBACK")?;
                    return Err(e);
                }
            }
        }
        FORMAT_VERSION => {}
        other => bail!(
            "the database has layout version {other}, but this version of Sprig understands only version {FORMAT_VERSION}; use a matching Sprig or another database file"
        ),
    }
    // Added without a version bump: older versions ignore the table.
    conn.execute_batch(graft::info_ddl(Dialect::Sqlite))?;
    Ok(())
}

/// Runs the shared SQL of `crate::sql` on a SQLite connection, through its prepared statement
/// cache.
struct SqliteDb<'a>(&'a Connection);

impl SqliteDb<'_> {
    fn prepare(&self, sql: &str, params: &[Param<'_>]) -> Result<rusqlite::CachedStatement<'_>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        for (i, param) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, param)?;
        }
        Ok(stmt)
    }
}

impl Db for SqliteDb<'_> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let mut stmt = self.prepare(sql, params)?;
        match stmt.raw_execute() {
            Ok(changed) => Ok(changed as u64),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(UniqueViolation.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        row: &mut dyn FnMut(&[SqlValue]) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.prepare(sql, params)?;
        let columns = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut values = Vec::with_capacity(columns);
        while let Some(r) = rows.next()? {
            values.clear();
            for i in 0..columns {
                values.push(r.get::<_, SqlValue>(i)?);
            }
            row(&values)?;
        }
        Ok(())
    }
}

fn open_connection(path: &Path, reader: bool) -> Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if reader {
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(128);
    }
    Ok(conn)
}

/// One deployment in a [`SqliteStore`]: its entities, data sources, head and failure.
///
/// Cheap to clone; clones share the store's connections. Implements [`WritableStore`] for the
/// indexer and [`QueryStore`] for the query layer.
#[derive(Clone)]
pub struct SqliteDeployment {
    inner: Arc<Deployment>,
}

struct Deployment {
    name: String,
    /// The row in `deployments`, which also numbers the table names.
    id: i64,
    schema: Arc<Schema>,
    layout: Layout,
    connections: Arc<Connections>,
}

impl std::fmt::Debug for SqliteDeployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDeployment")
            .field("name", &self.inner.name)
            .field("path", &self.inner.connections.path)
            .finish_non_exhaustive()
    }
}

impl SqliteDeployment {
    /// The deployment's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The schema the deployment was opened with.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.inner.schema
    }

    /// Progress and failure state. (Both store traits have this method; this one spares callers
    /// from naming the trait.)
    pub fn status(&self) -> Result<DeploymentStatus> {
        self.inner
            .connections
            .read(|conn| meta::status(&mut SqliteDb(conn), self.inner.id))
            .with_context(|| format!("cannot read the status of deployment `{}`", self.name()))
    }

    fn table(&self, entity_type: &str) -> Result<&Table> {
        self.inner.layout.require(entity_type, &self.inner.schema)
    }
}

/// Looks up one entity with `sql` (`Table::current_sql` or `query::find_at_block_sql`), binding
/// the id and, for the latter, the block.
impl EntityReader for SqliteDeployment {
    fn get(&self, key: &EntityKey) -> Result<Option<Entity>> {
        let table = self.table(&key.entity_type)?;
        let conn = self.inner.connections.writer();
        query::find_onchain(&mut SqliteDb(&conn), table, key)
            .with_context(|| format!("cannot load {key}"))
    }

    fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>> {
        let inner = &self.inner;
        let conn = inner.connections.writer();
        let db = &mut SqliteDb(&conn);
        query::derived(db, &inner.layout, &inner.schema, entity_type, field, id)
    }
}

impl WritableStore for SqliteDeployment {
    fn status(&self) -> Result<DeploymentStatus> {
        SqliteDeployment::status(self)
    }

    fn transact_block_deferred(
        &self,
        block: BlockPtr,
        timestamp: u64,
        write: BlockWrite,
    ) -> Result<()> {
        let inner = &self.inner;
        let conn = inner.connections.writer();
        let began = conn.is_autocommit();
        if began {
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        let db = &mut SqliteDb(&conn);
        let written = write::transact_block(db, inner.id, &inner.layout, &block, timestamp, &write);
        if written.is_err() && began {
            // The block rolled back to its savepoint; with no deferred blocks before it, the
            // transaction holds nothing, and must not keep the file's write lock (or stop
            // another deployment of the file from starting its own transaction).
            let _ = conn.execute_batch("ROLLBACK");
        }
        written.with_context(|| {
            format!(
                "cannot commit block {} of deployment `{}`",
                block.number, inner.name
            )
        })
    }

    fn flush(&self) -> Result<()> {
        let conn = self.inner.connections.writer();
        if !conn.is_autocommit() {
            conn.execute_batch("COMMIT").with_context(|| {
                format!("cannot commit the blocks of deployment `{}`", self.name())
            })?;
        }
        Ok(())
    }

    fn data_sources(&self) -> Result<Vec<StoredDataSource>> {
        let conn = self.inner.connections.writer();
        meta::data_sources(&mut SqliteDb(&conn), &self.inner.layout)
            .with_context(|| format!("cannot load the data sources of `{}`", self.name()))
    }

    fn poi_digests(&self, block: u64) -> Result<Vec<(String, Vec<u8>)>> {
        let conn = self.inner.connections.writer();
        meta::poi_digests(&mut SqliteDb(&conn), &self.inner.layout, block)
    }

    fn recent_blocks(&self, limit: usize) -> Result<Vec<(BlockPtr, u64)>> {
        let conn = self.inner.connections.writer();
        meta::recent_blocks(&mut SqliteDb(&conn), &self.inner.layout, limit)
    }

    fn revert_to(&self, block: BlockPtr, timestamp: u64) -> Result<()> {
        let inner = &self.inner;
        self.in_own_transaction(|db| {
            write::revert_to(db, inner.id, &inner.layout, &block, timestamp)
        })
        .with_context(|| {
            format!(
                "cannot revert deployment `{}` to block {}",
                inner.name, block.number
            )
        })
    }

    fn prune(&self, earliest_block: u64) -> Result<PruneReport> {
        let inner = &self.inner;
        self.in_own_transaction(|db| write::prune(db, inner.id, &inner.layout, earliest_block))
            .with_context(|| {
                format!(
                    "cannot prune the history of deployment `{}` before block {earliest_block}",
                    inner.name
                )
            })
    }
}

impl SqliteDeployment {
    /// Runs `work` on the writer in a transaction of its own, after committing deferred blocks.
    fn in_own_transaction<T>(
        &self,
        work: impl FnOnce(&mut SqliteDb<'_>) -> Result<T>,
    ) -> Result<T> {
        self.flush()?;
        let mut conn = self.inner.connections.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&mut SqliteDb(&tx))?;
        tx.commit()?;
        Ok(value)
    }
}

impl QueryStore for SqliteDeployment {
    fn query(&self, query: &EntityQuery) -> Result<Vec<Entity>> {
        let run = || -> Result<Vec<Entity>> {
            let table = self.table(&query.entity_type)?;
            self.inner
                .connections
                .read(|conn| query::entities(&mut SqliteDb(conn), &self.inner.layout, table, query))
        };
        run().with_context(|| format!("query of `{}` failed", query.entity_type))
    }

    fn find(&self, key: &EntityKey, block: Option<u64>) -> Result<Option<Entity>> {
        let run = || -> Result<Option<Entity>> {
            let table = self.table(&key.entity_type)?;
            self.inner
                .connections
                .read(|conn| query::find(&mut SqliteDb(conn), table, key, block))
        };
        run().with_context(|| format!("cannot load {key}"))
    }

    fn status(&self) -> Result<DeploymentStatus> {
        SqliteDeployment::status(self)
    }

    fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(BlockPtr, u64)>> {
        self.inner
            .connections
            .read(|conn| meta::block_by_hash(&mut SqliteDb(conn), &self.inner.layout, hash))
            .context("cannot look up a block by hash")
    }

    fn current_buckets(
        &self,
        interval_type: &str,
        filters: &[Filter],
        block: u64,
    ) -> Result<Vec<Entity>> {
        let layout = &self.inner.layout;
        let rollup = layout.rollup(interval_type)?;
        self.inner
            .connections
            .read(|conn| {
                rollup::current_buckets(&mut SqliteDb(conn), layout, rollup, filters, block)
            })
            .with_context(|| format!("cannot compute the current bucket of `{interval_type}`"))
    }
}
