//! The PostgreSQL backend: for data beyond one machine's disk, and several index and query
//! processes sharing one database.
//!
//! Layout: Sprig's own tables (`deployments`, `format`) live in schema `sprig`; each deployment
//! gets a schema `sgdN` with a table per entity type, as in graph-node. The SQL and the stored
//! values are those of the SQLite backend (`crate::sql`), so both answer every query the same.
//!
//! Concurrency: each deployment handle writes through one connection of its own, which holds a
//! session advisory lock on the deployment, so a second process cannot index the same
//! deployment at the same time. Far from the chain head many blocks commit in one transaction
//! (a savepoint per block). Queries and status reads use a pool of reader connections; they see
//! committed blocks only, never part of one.

mod connection;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::{anyhow, bail, Context, Result};
use sprig_manifest::Schema;
use sprig_value::{BlockPtr, Entity, EntityKey, Id};

use self::connection::{Connection, PgDb};
use crate::sql::graft;
use crate::sql::layout::Layout;
use crate::sql::{int, meta, query, rollup, write, Db, Dialect, Row};
use crate::{
    BlockWrite, DeploymentStatus, EntityQuery, EntityReader, Filter, PruneReport, QueryStore,
    StoredDataSource, WritableStore,
};
use crate::{DeploymentOrigin, DeploymentSummary};

/// The version of Sprig's layout in a database, kept in `sprig.format`; bump it when the layout
/// changes incompatibly.
const FORMAT_VERSION: i64 = 3;

/// Advisory lock keys (first half): one serialises creating tables, one marks the writer of a
/// deployment (second half: the deployment's id).
const LOCK_SETUP: i32 = 0x5350_5247; // "SPRG"
const LOCK_WRITER: i32 = 0x5350_5248;

/// Idle reader connections kept for reuse.
const MAX_IDLE_READERS: usize = 8;

/// A PostgreSQL database holding deployments.
#[derive(Clone)]
pub struct PostgresStore {
    shared: Arc<Shared>,
}

struct Shared {
    config: postgres::Config,
    /// The URL without its password, for messages.
    location: String,
    /// For creating deployments and reading the deployment list.
    admin: Connection,
    readers: Mutex<Vec<Connection>>,
}

impl Shared {
    /// Runs `job` on a reader connection.
    fn read<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut PgDb) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Connection::open(&self.config, "sprig-pg-reader")?,
        };
        let result = conn.run(job);
        let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) and
    /// creates Sprig's tables there if needed.
    pub fn connect(url: &str) -> Result<PostgresStore> {
        let config: postgres::Config = url
            .parse()
            .with_context(|| format!("invalid PostgreSQL URL `{}`", redact(url)))?;
        let location = redact(url);
        let admin = Connection::open(&config, "sprig-pg-admin")
            .with_context(|| format!("cannot connect to {location}"))?;
        admin
            .run(init)
            .with_context(|| format!("cannot set up Sprig's tables in {location}"))?;
        Ok(PostgresStore {
            shared: Arc::new(Shared {
                config,
                location,
                admin,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database URL, without its password.
    pub fn location(&self) -> &str {
        &self.shared.location
    }

    /// The deployment `name`, created with `schema` if it does not exist yet. An existing
    /// deployment must have been created with the same schema.
    pub fn deployment(&self, name: &str, schema: Arc<Schema>) -> Result<PostgresDeployment> {
        self.deployment_from(name, schema, &DeploymentOrigin::default())
    }

    /// See [`crate::Store::deployment_from`].
    pub fn deployment_from(
        &self,
        name: &str,
        schema: Arc<Schema>,
        origin: &DeploymentOrigin,
    ) -> Result<PostgresDeployment> {
        if name.is_empty() {
            bail!("a deployment name must not be empty");
        }
        let location = self.location().to_string();
        let (id, layout) = {
            let name = name.to_string();
            let schema = Arc::clone(&schema);
            let origin = origin.clone();
            self.shared.admin.run(move |db| {
                db.transaction(|db| create_deployment(db, &name, &schema, &origin, &location))
            })?
        };
        Ok(PostgresDeployment {
            inner: Arc::new(Deployment {
                name: name.to_string(),
                id,
                schema,
                written: Mutex::new(vec![(0, FIRST_ANALYZE); layout.tables().len()]),
                layout: Arc::new(layout),
                store: Arc::clone(&self.shared),
                writer: OnceLock::new(),
                deferred: AtomicUsize::new(0),
            }),
        })
    }

    /// Opens an existing deployment with the schema it was created with.
    pub fn open_deployment(&self, name: &str) -> Result<PostgresDeployment> {
        let owned = name.to_string();
        let sdl = self
            .shared
            .admin
            .run(move |db| meta::schema_sdl(db, &owned))?
            .ok_or_else(|| anyhow!("{} has no subgraph named `{name}`", self.location()))?;
        let schema = Schema::parse(&sdl)
            .with_context(|| format!("the stored schema of `{name}` does not parse"))?;
        self.deployment(name, Arc::new(schema))
    }

    /// The names of the deployments in this database, sorted.
    pub fn deployment_names(&self) -> Result<Vec<String>> {
        self.shared.admin.run(meta::names)
    }

    /// Every deployment with its id and graft point, sorted by name.
    pub fn deployments(&self) -> Result<Vec<DeploymentSummary>> {
        self.shared.admin.run(graft::summaries)
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.shared.location)
            .finish_non_exhaustive()
    }
}

/// Creates schema `sprig` and its tables, or checks that an existing layout is one this
/// version understands.
fn init(db: &mut PgDb) -> Result<()> {
    db.transaction(|db| {
        // Several processes may start at once against a fresh database.
        db.execute(
            "SELECT pg_advisory_xact_lock(?1, 0)",
            &[int(LOCK_SETUP.into())],
        )?;
        db.batch(
            "CREATE SCHEMA IF NOT EXISTS sprig;
             CREATE TABLE IF NOT EXISTS sprig.format (version INT8 NOT NULL);
             CREATE TABLE IF NOT EXISTS sprig.deployments (
               id INT8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
               name TEXT COLLATE \"C\" NOT NULL UNIQUE,
               schema TEXT NOT NULL,
               schema_sdl TEXT NOT NULL,
               head_number INT8,
               head_hash BYTEA,
               head_timestamp INT8,
               failure_block_number INT8,
               failure_block_hash BYTEA,
               failure_handler TEXT,
               failure_message TEXT,
               failure_fatal BOOLEAN,
               earliest_block INT8 NOT NULL DEFAULT 0
             )",
        )?;
        // Added without a version bump: older versions ignore the table.
        db.batch(graft::info_ddl(Dialect::Postgres))?;
        let version = db.first("SELECT version FROM sprig.format", &[])?;
        match version.map(|row| Row(&row).int(0)).transpose()? {
            None => {
                db.execute(
                    "INSERT INTO sprig.format (version) VALUES (?1)",
                    &[int(FORMAT_VERSION)],
                )?;
            }
            // Version 1 had no pruning; version 2 no causality regions (file data sources).
            Some(version @ (1 | 2)) => {
                if version == 1 {
                    db.batch(
                        "ALTER TABLE sprig.deployments ADD COLUMN earliest_block INT8 NOT NULL DEFAULT 0",
                    )?;
                }
                crate::sql::meta::upgrade_deployments_to_v3(db, crate::sql::Dialect::Postgres)?;
                db.execute("UPDATE sprig.format SET version = ?1", &[int(FORMAT_VERSION)])?;
            }
            Some(FORMAT_VERSION) => {}
            Some(other) => bail!(
                "the database has Sprig layout version {other}, but this version of Sprig understands only version {FORMAT_VERSION}; use a matching Sprig or another database"
            ),
        }
        Ok(())
    })
}

/// Finds or creates deployment `name` inside the caller's transaction, after other processes
/// doing the same.
fn create_deployment(
    db: &mut PgDb,
    name: &str,
    schema: &Schema,
    origin: &DeploymentOrigin,
    location: &str,
) -> Result<(i64, Layout)> {
    db.execute(
        "SELECT pg_advisory_xact_lock(?1, 0)",
        &[int(LOCK_SETUP.into())],
    )?;
    meta::find_or_create(
        db,
        Dialect::Postgres,
        name,
        schema,
        origin,
        location,
        "use another --name, or drop it to start over",
    )
}

/// `url` with its password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// One deployment in a [`PostgresStore`]: its entities, data sources, head and failure.
///
/// Cheap to clone; clones share the writer connection. Implements [`WritableStore`] for the
/// indexer and [`QueryStore`] for the query layer.
#[derive(Clone)]
pub struct PostgresDeployment {
    inner: Arc<Deployment>,
}

struct Deployment {
    name: String,
    id: i64,
    schema: Arc<Schema>,
    layout: Arc<Layout>,
    store: Arc<Shared>,
    /// Opened by the first write or entity-cache read.
    writer: OnceLock<Connection>,
    /// Per table (by layout position): versions written by this process, and the count at
    /// which to refresh the table's planner statistics next.
    written: Mutex<Vec<(u64, u64)>>,
    /// Blocks applied in the open transaction.
    deferred: AtomicUsize,
}

/// The open transaction is committed once it holds this many blocks, even before `flush`.
/// PostgreSQL keeps every version of a row updated in a transaction until it commits, and
/// lookups walk them: a row changed in every block (the head pointer, a token's totals) made
/// each block cost more than the one before, 6.6 s for 2800 one-transfer blocks of the erc20
/// example in one transaction. Committing every 100 blocks lets the server prune them.
const MAX_DEFERRED_BLOCKS: usize = 100;

/// A table's statistics are first refreshed once this process has written this many versions
/// to it, then each time that count doubles.
const FIRST_ANALYZE: u64 = 1_000;

impl Deployment {
    /// Refreshes the planner statistics of the tables `write` makes grow past their next
    /// threshold. Without statistics PostgreSQL guesses that a new table is small and plans the
    /// batched close (`id IN (...)` over a partial unique index) as a scan of every current
    /// version: 250 ms instead of 2 ms per 256 ids measured on 50k rows. Autovacuum analyzes
    /// only after its naptime, far too late for an initial sync. ANALYZE runs inside the
    /// block's transaction and counts its own uncommitted rows.
    fn analyze_grown_tables(&self, db: &mut PgDb, write: &BlockWrite) -> Result<()> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        for modification in &write.modifications {
            if let Some(table) = self.layout.table(&modification.key().entity_type) {
                written[table.number].0 += 1;
            }
        }
        for (table, (count, next)) in self.layout.tables().iter().zip(written.iter_mut()) {
            if *count >= *next {
                db.batch(&format!("ANALYZE {}", table.sql))?;
                *next = *count * 2;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for PostgresDeployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDeployment")
            .field("name", &self.inner.name)
            .field("location", &self.inner.store.location)
            .finish_non_exhaustive()
    }
}

impl PostgresDeployment {
    /// The deployment's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The schema the deployment was opened with.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.inner.schema
    }

    /// Progress and failure state (committed blocks only).
    pub fn status(&self) -> Result<DeploymentStatus> {
        let id = self.inner.id;
        self.inner
            .store
            .read(move |db| meta::status(db, id))
            .with_context(|| format!("cannot read the status of deployment `{}`", self.name()))
    }

    /// Runs `job` on the writer connection, opening it (and taking the deployment's writer
    /// lock) first if needed.
    fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut PgDb, &Deployment) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = &self.inner;
        let writer = match inner.writer.get() {
            Some(writer) => writer,
            None => {
                let conn = Connection::open(&inner.store.config, "sprig-pg-writer")?;
                let id = inner.id;
                let locked = conn.run(move |db| {
                    let row = db
                        .first(
                            "SELECT pg_try_advisory_lock(?1, ?2)",
                            &[int(LOCK_WRITER.into()), int(id)],
                        )?
                        .ok_or_else(|| anyhow!("no answer to the lock request"))?;
                    Ok(Row(&row).int(0)? != 0)
                })?;
                if !locked {
                    bail!(
                        "deployment `{}` in {} is being written by another process; stop it first",
                        inner.name,
                        inner.store.location
                    );
                }
                // Two threads may race here; the loser's connection closes, releasing its lock.
                let _ = inner.writer.set(conn);
                inner.writer.get().expect("just set")
            }
        };
        let this = Arc::clone(inner);
        writer.run(move |db| job(db, &this))
    }
}

impl PostgresDeployment {
    /// Runs a read on the writer connection if this handle writes (so it sees deferred
    /// blocks), else on a reader, without taking the writer lock: `sprig poi` and the like
    /// must work while an indexer runs.
    fn read_latest<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut PgDb, &Deployment) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.inner.writer.get().is_some() {
            return self.write(job);
        }
        let this = Arc::clone(&self.inner);
        self.inner.store.read(move |db| job(db, &this))
    }
}

impl EntityReader for PostgresDeployment {
    fn get(&self, key: &EntityKey) -> Result<Option<Entity>> {
        let key = key.clone();
        self.write(move |db, d| {
            let table = d.layout.require(&key.entity_type, &d.schema)?;
            query::find_onchain(db, table, &key).with_context(|| format!("cannot load {key}"))
        })
    }

    fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>> {
        let (entity_type, field, id) = (entity_type.to_string(), field.to_string(), id.clone());
        self.write(move |db, d| query::derived(db, &d.layout, &d.schema, &entity_type, &field, &id))
    }
}

impl WritableStore for PostgresDeployment {
    fn status(&self) -> Result<DeploymentStatus> {
        PostgresDeployment::status(self)
    }

    fn transact_block_deferred(
        &self,
        block: BlockPtr,
        timestamp: u64,
        write: BlockWrite,
    ) -> Result<()> {
        self.write(move |db, d| {
            db.begin()?;
            write::transact_block(db, d.id, &d.layout, &block, timestamp, &write)
                .and_then(|()| d.analyze_grown_tables(db, &write))
                .and_then(|()| {
                    if d.deferred.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_DEFERRED_BLOCKS {
                        d.deferred.store(0, Ordering::Relaxed);
                        db.commit()?;
                    }
                    Ok(())
                })
                .with_context(|| {
                    format!(
                        "cannot commit block {} of deployment `{}`",
                        block.number, d.name
                    )
                })
        })
    }

    fn flush(&self) -> Result<()> {
        self.write(|db, d| {
            d.deferred.store(0, Ordering::Relaxed);
            db.commit()
                .with_context(|| format!("cannot commit the blocks of deployment `{}`", d.name))
        })
    }

    fn data_sources(&self) -> Result<Vec<StoredDataSource>> {
        self.read_latest(|db, d| {
            meta::data_sources(db, &d.layout)
                .with_context(|| format!("cannot load the data sources of `{}`", d.name))
        })
    }

    fn poi_digests(&self, block: u64) -> Result<Vec<(String, Vec<u8>)>> {
        self.read_latest(move |db, d| meta::poi_digests(db, &d.layout, block))
    }

    fn recent_blocks(&self, limit: usize) -> Result<Vec<(BlockPtr, u64)>> {
        self.read_latest(move |db, d| meta::recent_blocks(db, &d.layout, limit))
    }

    fn revert_to(&self, block: BlockPtr, timestamp: u64) -> Result<()> {
        self.write(move |db, d| {
            db.transaction(|db| write::revert_to(db, d.id, &d.layout, &block, timestamp))
                .with_context(|| {
                    format!(
                        "cannot revert deployment `{}` to block {}",
                        d.name, block.number
                    )
                })
        })
    }

    fn prune(&self, earliest_block: u64) -> Result<PruneReport> {
        self.write(move |db, d| {
            db.transaction(|db| write::prune(db, d.id, &d.layout, earliest_block))
                .with_context(|| {
                    format!(
                        "cannot prune the history of deployment `{}` before block {earliest_block}",
                        d.name
                    )
                })
        })
    }
}

impl QueryStore for PostgresDeployment {
    fn query(&self, query: &EntityQuery) -> Result<Vec<Entity>> {
        let inner = Arc::clone(&self.inner);
        let query = query.clone();
        let entity_type = query.entity_type.clone();
        self.inner
            .store
            .read(move |db| {
                let table = inner.layout.require(&query.entity_type, &inner.schema)?;
                query::entities(db, &inner.layout, table, &query)
            })
            .with_context(|| format!("query of `{entity_type}` failed"))
    }

    fn find(&self, key: &EntityKey, block: Option<u64>) -> Result<Option<Entity>> {
        let inner = Arc::clone(&self.inner);
        let owned = key.clone();
        self.inner
            .store
            .read(move |db| {
                let table = inner.layout.require(&owned.entity_type, &inner.schema)?;
                query::find(db, table, &owned, block)
            })
            .with_context(|| format!("cannot load {key}"))
    }

    fn status(&self) -> Result<DeploymentStatus> {
        PostgresDeployment::status(self)
    }

    fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(BlockPtr, u64)>> {
        let (inner, hash) = (Arc::clone(&self.inner), *hash);
        self.inner
            .store
            .read(move |db| meta::block_by_hash(db, &inner.layout, &hash))
            .context("cannot look up a block by hash")
    }

    fn current_buckets(
        &self,
        interval_type: &str,
        filters: &[Filter],
        block: u64,
    ) -> Result<Vec<Entity>> {
        let (inner, filters) = (Arc::clone(&self.inner), filters.to_vec());
        let owned = interval_type.to_string();
        self.inner
            .store
            .read(move |db| {
                let rollup = inner.layout.rollup(&owned)?;
                rollup::current_buckets(db, &inner.layout, rollup, &filters, block)
            })
            .with_context(|| format!("cannot compute the current bucket of `{interval_type}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://sprig:secret@localhost:5432/db"),
            "postgres://sprig:***@localhost:5432/db"
        );
        assert_eq!(redact("postgres://localhost/db"), "postgres://localhost/db");
    }
}
