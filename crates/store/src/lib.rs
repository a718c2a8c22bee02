//! Where entities live: the per-block entity cache and the storage backends.
//!
//! Writing flows [`EntityCache`] (one block's reads and writes, with handler-level rollback) ->
//! [`EntityModification`]s -> [`WritableStore::transact_block`], which commits all of a block's
//! changes together with the block pointer in one transaction. Reading for queries goes through
//! [`QueryStore`].
//!
//! Entities are versioned by block range (`[from, to)`), so a block's writes can be reverted and a
//! query can ask for the state at an earlier block.
//!
//! Two backends, chosen by [`Store::open`]: SQLite ([`SqliteStore`]: one file, many deployments)
//! and PostgreSQL ([`PostgresStore`]: a schema per deployment); their deployments implement both
//! store traits, as does the backend-neutral [`Deployment`]. Code map: `cache.rs` (the entity
//! cache), `validation.rs` (entities against the schema), `sql/` (what both backends share:
//! `layout.rs` tables and DDL, `codec.rs` values, `numeric.rs` the order-preserving
//! BigInt/BigDecimal encoding, `write.rs` commit and revert, `query.rs` SQL for queries, `meta.rs`
//! head, failure, data sources, blocks and PoI), `sqlite/` and `postgres/` (connections and
//! transactions of each), `testing.rs` (a throwaway PostgreSQL server for tests).
//!
//! Architecture invariants: the store knows nothing about wasm or GraphQL syntax; a block is
//! either wholly committed (entities, data sources, pointer) or not at all; every value reaches
//! SQL as a bound parameter.

mod cache;
mod postgres;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;
mod validation;

pub use cache::{EntityCache, EntityWrite};
pub use postgres::{PostgresDeployment, PostgresStore};
pub use sqlite::{SqliteDeployment, SqliteStore};

use std::sync::Arc;

use anyhow::Result;
use sprig_manifest::Schema;
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

/// One change to one entity, produced by the entity cache at the end of a block.
#[derive(Clone, Debug, PartialEq)]
pub enum EntityModification {
    /// The entity did not exist before this block.
    Insert { key: EntityKey, data: Entity },
    /// The entity existed and its new state is `data` (complete, not a partial update).
    Overwrite { key: EntityKey, data: Entity },
    /// The entity existed and is removed.
    Remove { key: EntityKey },
}

impl EntityModification {
    /// The entity this modification changes.
    pub fn key(&self) -> &EntityKey {
        match self {
            EntityModification::Insert { key, .. }
            | EntityModification::Overwrite { key, .. }
            | EntityModification::Remove { key } => key,
        }
    }
}

/// A data source created from a template by a mapping, as persisted with its block.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDataSource {
    /// The template's name.
    pub template: String,
    /// The `params` passed to `dataSource.create` (for Ethereum: the address as hex).
    pub params: Vec<String>,
    /// The context passed to `dataSource.createWithContext`, if any.
    pub context: Option<Entity>,
    /// The block in which it was created.
    pub creation_block: u64,
    /// 0 for a contract data source; a file data source's own region (1, 2, ... in creation
    /// order), which its entities are stored under.
    pub causality_region: i64,
    /// The block at which a file data source's handler ran (it never runs again); `None` while
    /// it waits for its file, and always for contract data sources.
    pub done_at: Option<u64>,
}

/// A deterministic failure of the subgraph, stored with the block it happened at.
#[derive(Clone, Debug, PartialEq)]
pub struct SubgraphFailure {
    /// The block whose processing failed.
    pub block: BlockPtr,
    /// The handler that failed, if the failure happened in one.
    pub handler: Option<String>,
    /// The error, as shown to users.
    pub message: String,
    /// Whether indexing stopped there. With the `nonFatalErrors` feature a failing handler's
    /// writes are dropped and indexing goes on: the failure is recorded but not fatal.
    pub fatal: bool,
}

/// Everything a block produces, committed atomically by [`WritableStore::transact_block`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockWrite {
    /// At most one modification per entity, as produced by the entity cache.
    pub modifications: Vec<EntityModification>,
    /// Data sources created in this block, in creation order.
    pub data_sources: Vec<StoredDataSource>,
    /// Set when the subgraph failed deterministically at this block.
    pub failure: Option<SubgraphFailure>,
    /// Proof-of-indexing digests of this block, per causality region (only regions whose
    /// digest changed).
    pub poi: Vec<(String, Vec<u8>)>,
    /// Entities created by file data sources' handlers at this block, each under the file data
    /// source's causality region (never 0). File data sources only insert: an id that exists
    /// in any region is an error.
    pub file_entities: Vec<(i64, EntityKey, Entity)>,
    /// The causality regions of the file data sources whose handler ran at this block; their
    /// `done_at` becomes this block.
    pub done_data_sources: Vec<i64>,
}

/// The stored state of a deployment's progress.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentStatus {
    /// The last block whose writes are committed, if any.
    pub head: Option<BlockPtr>,
    /// Unix timestamp (seconds) of the head block.
    pub head_timestamp: Option<u64>,
    /// The deterministic failure, if the subgraph failed.
    pub failure: Option<SubgraphFailure>,
    /// The earliest block whose state is kept: queries, proofs of indexing and reverts can go
    /// back this far and no further. 0 unless history was pruned.
    pub earliest_block: u64,
}

/// Where a new deployment comes from, for [`Store::deployment_from`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeploymentOrigin {
    /// The deployment's id: graph-node knows a deployment by the IPFS hash of its manifest
    /// (`Qm...`, printed by `graph build --ipfs` and `graph deploy`). Recorded so that other
    /// subgraphs' `graft.base` can name this deployment.
    pub id: Option<String>,
    /// Start from a copy of another deployment's data (only when the deployment is created).
    pub graft: Option<GraftBase>,
}

/// The base of a graft: the new deployment starts with `base`'s entities, data sources and
/// proof-of-indexing digests as of `block`, and its head at `block`.
#[derive(Clone, Debug, PartialEq)]
pub struct GraftBase {
    /// The base deployment's name, in the same database.
    pub base: String,
    /// The graft block (hash and timestamp from the chain: the base may not have stored it).
    pub block: BlockPtr,
    /// Unix timestamp (seconds) of `block`.
    pub timestamp: u64,
    /// graph-node's rule: the base must be at least this many blocks past `block`, so that no
    /// reorg can change what is copied.
    pub reorg_threshold: u64,
    /// The names of the templates the new deployment's manifest defines: every data source
    /// copied from the base must be of one of them.
    pub templates: Vec<String>,
}

/// A deployment as listed by [`Store::deployments`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentSummary {
    /// The name (in the GraphQL URL).
    pub name: String,
    /// The id recorded with [`DeploymentOrigin::id`], if any.
    pub id: Option<String>,
    /// For a grafted deployment: the base's name and the graft block.
    pub graft: Option<(String, u64)>,
}

/// What [`WritableStore::prune`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Entity versions deleted.
    pub versions: u64,
    /// Proof-of-indexing digests and block records deleted.
    pub metadata: u64,
}

/// Reads the latest committed state of entities; what the entity cache falls back to.
pub trait EntityReader: Send + Sync {
    /// The current version of an entity, or `None` if it does not exist.
    fn get(&self, key: &EntityKey) -> Result<Option<Entity>>;

    /// The current entities of type `entity_type` whose field `field` equals `id`, in any order:
    /// the entities a `@derivedFrom(field: "<field>")` field of the entity with that id lists
    /// (`store.loadRelated`; graph-node's `get_derived`).
    ///
    /// `entity_type` is an entity type (not an interface) and `field` one of its stored fields
    /// that is not a list: a reference, or `id` itself. `id` has the id type of the referenced
    /// entity, which is how the field stores it (a `String` id matches `Value::String`, a `Bytes`
    /// id `Value::Bytes`, an `Int8` id `Value::Int8`). Like [`get`](Self::get), this sees
    /// everything written so far, deferred blocks included.
    fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>>;
}

/// Writes blocks of one deployment.
pub trait WritableStore: EntityReader {
    /// Progress and failure state.
    fn status(&self) -> Result<DeploymentStatus>;

    /// Commits one block's changes together with the new head pointer in one transaction.
    /// `block.number` must be greater than the current head's. (Commits any deferred blocks
    /// first, in the same transaction.)
    fn transact_block(&self, block: BlockPtr, timestamp: u64, write: BlockWrite) -> Result<()> {
        self.transact_block_deferred(block, timestamp, write)?;
        self.flush()
    }

    /// Like [`transact_block`](Self::transact_block), but the commit may wait for
    /// [`flush`](Self::flush) (or the next `transact_block` or `revert_to`), so that many blocks
    /// commit in one transaction: far from the chain head this saves most of the writing. Reads
    /// through [`EntityReader`] see deferred blocks; queries and [`status`](Self::status) do
    /// not. A block that fails to apply leaves nothing behind; a crash loses the deferred blocks
    /// whole, never part of one.
    fn transact_block_deferred(
        &self,
        block: BlockPtr,
        timestamp: u64,
        write: BlockWrite,
    ) -> Result<()>;

    /// Commits the deferred blocks, if any.
    fn flush(&self) -> Result<()>;

    /// Data sources created from templates so far, in creation order.
    fn data_sources(&self) -> Result<Vec<StoredDataSource>>;

    /// The proof-of-indexing digest of every causality region as of `block` (the newest digest
    /// written at or before it), sorted by region.
    fn poi_digests(&self, block: u64) -> Result<Vec<(String, Vec<u8>)>>;

    /// Committed blocks with their timestamps, newest first, at most `limit` (recent ones are
    /// kept, far more than a reorg can reach).
    fn recent_blocks(&self, limit: usize) -> Result<Vec<(BlockPtr, u64)>>;

    /// Undoes every block after `block`: removes versions created after it, reopens versions
    /// closed after it, drops data sources created after it, marks file data sources done
    /// after it as waiting again, and moves the head to `block`.
    /// `block` must not be before the earliest kept block.
    fn revert_to(&self, block: BlockPtr, timestamp: u64) -> Result<()>;

    /// Deletes the history that only blocks before `earliest_block` can see (entity versions
    /// that ended at or before it, older proof-of-indexing digests and block records) and
    /// moves [`DeploymentStatus::earliest_block`] there, in one transaction after committing
    /// deferred blocks. The current state and everything from `earliest_block` on are
    /// unchanged. `earliest_block` must not be after the head.
    fn prune(&self, earliest_block: u64) -> Result<PruneReport>;
}

/// Sort direction of a collection query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// One condition of a `where` filter (graph-node's `<field>_<op>` arguments).
///
/// The first element of each variant is a field name of the queried type (`id` included).
/// Values are typed like the field (`Value::BigInt` for a BigInt field, the referenced id's value
/// for a reference); the store also accepts the unambiguous spellings a query layer naturally
/// has at hand (a decimal `String` for numbers, `0x` hex for Bytes, `Int` for `Int8`).
/// SQL null semantics apply as in graph-node: comparisons other than `Equal`/`Not` with
/// `Value::Null` never match a null field.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `<field>`: equal; `Value::Null` means "is null". On a list field: the whole list is equal.
    Equal(String, Value),
    /// `<field>_not`: not equal; `Value::Null` means "is not null".
    Not(String, Value),
    /// `<field>_gt`.
    GreaterThan(String, Value),
    /// `<field>_lt`.
    LessThan(String, Value),
    /// `<field>_gte`.
    GreaterOrEqual(String, Value),
    /// `<field>_lte`.
    LessOrEqual(String, Value),
    /// `<field>_in`; an empty list matches nothing.
    In(String, Vec<Value>),
    /// `<field>_not_in`; an empty list matches nothing (as in graph-node).
    NotIn(String, Vec<Value>),
    /// `<field>_contains` on a list (all the given values are present; `value` is a list or a
    /// single element) or on Bytes (the field contains the byte string).
    Contains(String, Value),
    /// `<field>_not_contains` on a list (none of the given values is present) or on Bytes.
    NotContains(String, Value),
    /// `<field>_contains` on a String. As in graph-node, `substring` is a SQL `LIKE` pattern
    /// fragment: `%` and `_` are wildcards, a backslash escapes.
    StringContains {
        field: String,
        substring: String,
        case_insensitive: bool,
        negated: bool,
    },
    /// `<field>_starts_with` on a String (`prefix` is a `LIKE` fragment, as above).
    StartsWith {
        field: String,
        prefix: String,
        case_insensitive: bool,
        negated: bool,
    },
    /// `<field>_ends_with` on a String (`suffix` is a `LIKE` fragment, as above).
    EndsWith {
        field: String,
        suffix: String,
        case_insensitive: bool,
        negated: bool,
    },
    /// All filters hold; an empty list always holds.
    And(Vec<Filter>),
    /// At least one filter holds; an empty list never holds.
    Or(Vec<Filter>),
    /// The entity type's `@fulltext` search `.0` (its query field's name) matches the text `.1`,
    /// in PostgreSQL's `to_tsquery` syntax (`&`, `|`, `!`, `<->`, `:*`). A query whose
    /// `order_by` is the search's name is ordered by rank, as graph-node orders it: ascending
    /// (best matches last), then by id.
    Fulltext(String, String),
    /// `_change_block: { number_gte: N }`: the version was written at block N or later (with
    /// the query's block, the entities that changed since N and are as of that block).
    ChangedSince(u64),
    /// `<field>_: { ... }`, graph-node's child filter: the entity `field` refers to (a reference
    /// or a list of references; any of the list) or, for a derived field, an entity referring
    /// back to this one, is a `child_type` entity matching `filter` at the query's block. The
    /// store reads whether `field` is derived, and from what, from the queried type's schema.
    Child {
        /// The queried type's field.
        field: String,
        /// A concrete entity type: for an interface, one `Child` per implementor, in an `Or`.
        child_type: String,
        filter: Box<Filter>,
    },
}

/// A collection query against one entity type, as built from GraphQL arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityQuery {
    /// An entity type (not an interface).
    pub entity_type: String,
    /// All conditions must hold.
    pub filters: Vec<Filter>,
    /// A stored field to order by; `id` is always the final tie-breaker.
    pub order_by: Option<String>,
    /// Applies to `order_by` and to the `id` tie-breaker. As in Postgres, nulls sort after all
    /// values ascending and before them descending.
    pub order_direction: OrderDirection,
    /// At most this many entities (`LIMIT`).
    pub first: u32,
    /// Skip this many matching entities first (`OFFSET`).
    pub skip: u32,
    /// Query the state as of this block; `None` means the latest committed block.
    pub block: Option<u64>,
}

/// Read access for the query layer.
pub trait QueryStore: Send + Sync {
    /// Entities matching the query, ordered and paginated. Values are typed by the schema
    /// (BigInt columns come back as `Value::BigInt`, references as the referenced id's value).
    fn query(&self, query: &EntityQuery) -> Result<Vec<Entity>>;

    /// One entity by id, as of `block` (latest if `None`).
    fn find(&self, key: &EntityKey, block: Option<u64>) -> Result<Option<Entity>>;

    /// Progress and failure state, for `_meta`.
    fn status(&self) -> Result<DeploymentStatus>;

    /// A committed block of this deployment by hash, with its timestamp: for `block: { hash }`
    /// queries. `None` for a block that was never committed (only blocks with triggers and the
    /// last block of each indexed range are: every head a client has seen), was reverted by a
    /// reorg, or whose history was pruned.
    fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(BlockPtr, u64)>>;

    /// The unfinished bucket of an aggregation at one interval as of `block` (graph-node's
    /// `current: include`), computed from the source timeseries rows after the last finished
    /// bucket: one row per combination of dimensions, unordered. `interval_type` is the
    /// store's name for the interval's rows (`Stats_hour`); `filters` select source rows.
    fn current_buckets(
        &self,
        interval_type: &str,
        filters: &[Filter],
        block: u64,
    ) -> Result<Vec<Entity>>;
}
#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// A database holding deployments: a SQLite file (the default) or a PostgreSQL database.
#[derive(Clone, Debug)]
pub enum Store {
    /// A SQLite database file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PostgresStore),
}

impl Store {
    /// Whether `location` names a PostgreSQL database (a `postgres://` or `postgresql://` URL)
    /// rather than a SQLite file.
    pub fn is_postgres_url(location: &str) -> bool {
        location.starts_with("postgres://") || location.starts_with("postgresql://")
    }

    /// Opens the database at `location`: a PostgreSQL URL, or else the path of a SQLite file
    /// (created if missing).
    pub fn open(location: &str) -> Result<Store> {
        if Store::is_postgres_url(location) {
            PostgresStore::connect(location).map(Store::Postgres)
        } else {
            SqliteStore::open(location).map(Store::Sqlite)
        }
    }

    /// The file path or the URL (without password), for messages.
    pub fn location(&self) -> String {
        match self {
            Store::Sqlite(store) => store.path().display().to_string(),
            Store::Postgres(store) => store.location().to_string(),
        }
    }

    /// The deployment `name`, created with `schema` if it does not exist yet. An existing
    /// deployment must have been created with the same schema.
    pub fn deployment(&self, name: &str, schema: Arc<Schema>) -> Result<Deployment> {
        Ok(match self {
            Store::Sqlite(store) => Deployment::Sqlite(store.deployment(name, schema)?),
            Store::Postgres(store) => Deployment::Postgres(store.deployment(name, schema)?),
        })
    }

    /// Like [`deployment`](Self::deployment), but a deployment created here records
    /// `origin.id` and, for `origin.graft`, starts from a copy of the base's data (in the same
    /// transaction, after graph-node's checks of the base and of the schemas' compatibility).
    /// An existing deployment is opened as it is (never copied into again); a given id is
    /// recorded.
    pub fn deployment_from(
        &self,
        name: &str,
        schema: Arc<Schema>,
        origin: &DeploymentOrigin,
    ) -> Result<Deployment> {
        Ok(match self {
            Store::Sqlite(store) => {
                Deployment::Sqlite(store.deployment_from(name, schema, origin)?)
            }
            Store::Postgres(store) => {
                Deployment::Postgres(store.deployment_from(name, schema, origin)?)
            }
        })
    }

    /// Every deployment in this database with its id and graft point, sorted by name.
    pub fn deployments(&self) -> Result<Vec<DeploymentSummary>> {
        match self {
            Store::Sqlite(store) => store.deployments(),
            Store::Postgres(store) => store.deployments(),
        }
    }

    /// Opens an existing deployment with the schema it was created with.
    pub fn open_deployment(&self, name: &str) -> Result<Deployment> {
        Ok(match self {
            Store::Sqlite(store) => Deployment::Sqlite(store.open_deployment(name)?),
            Store::Postgres(store) => Deployment::Postgres(store.open_deployment(name)?),
        })
    }

    /// The names of the deployments in this database, sorted.
    pub fn deployment_names(&self) -> Result<Vec<String>> {
        match self {
            Store::Sqlite(store) => store.deployment_names(),
            Store::Postgres(store) => store.deployment_names(),
        }
    }
}

/// One deployment of a [`Store`], in either backend.
#[derive(Clone, Debug)]
pub enum Deployment {
    /// In a SQLite file.
    Sqlite(SqliteDeployment),
    /// In a PostgreSQL database.
    Postgres(PostgresDeployment),
}

/// Runs the same expression on whichever backend a [`Deployment`] is.
macro_rules! on_backend {
    ($deployment:expr, $d:ident => $e:expr) => {
        match $deployment {
            Deployment::Sqlite($d) => $e,
            Deployment::Postgres($d) => $e,
        }
    };
}

impl Deployment {
    /// The deployment's name.
    pub fn name(&self) -> &str {
        on_backend!(self, d => d.name())
    }

    /// The schema the deployment was opened with.
    pub fn schema(&self) -> &Arc<Schema> {
        on_backend!(self, d => d.schema())
    }

    /// Progress and failure state of committed blocks.
    pub fn status(&self) -> Result<DeploymentStatus> {
        on_backend!(self, d => d.status())
    }
}

impl EntityReader for Deployment {
    fn get(&self, key: &EntityKey) -> Result<Option<Entity>> {
        on_backend!(self, d => d.get(key))
    }

    fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>> {
        on_backend!(self, d => d.get_derived(entity_type, field, id))
    }
}

impl WritableStore for Deployment {
    fn status(&self) -> Result<DeploymentStatus> {
        Deployment::status(self)
    }

    fn transact_block_deferred(
        &self,
        block: BlockPtr,
        timestamp: u64,
        write: BlockWrite,
    ) -> Result<()> {
        on_backend!(self, d => d.transact_block_deferred(block, timestamp, write))
    }

    fn flush(&self) -> Result<()> {
        on_backend!(self, d => d.flush())
    }

    fn data_sources(&self) -> Result<Vec<StoredDataSource>> {
        on_backend!(self, d => d.data_sources())
    }

    fn poi_digests(&self, block: u64) -> Result<Vec<(String, Vec<u8>)>> {
        on_backend!(self, d => d.poi_digests(block))
    }

    fn recent_blocks(&self, limit: usize) -> Result<Vec<(BlockPtr, u64)>> {
        on_backend!(self, d => d.recent_blocks(limit))
    }

    fn revert_to(&self, block: BlockPtr, timestamp: u64) -> Result<()> {
        on_backend!(self, d => d.revert_to(block, timestamp))
    }

    fn prune(&self, earliest_block: u64) -> Result<PruneReport> {
        on_backend!(self, d => d.prune(earliest_block))
    }
}

impl QueryStore for Deployment {
    fn query(&self, query: &EntityQuery) -> Result<Vec<Entity>> {
        on_backend!(self, d => d.query(query))
    }

    fn find(&self, key: &EntityKey, block: Option<u64>) -> Result<Option<Entity>> {
        on_backend!(self, d => d.find(key, block))
    }

    fn status(&self) -> Result<DeploymentStatus> {
        Deployment::status(self)
    }

    fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(BlockPtr, u64)>> {
        on_backend!(self, d => d.block_by_hash(hash))
    }

    fn current_buckets(
        &self,
        interval_type: &str,
        filters: &[Filter],
        block: u64,
    ) -> Result<Vec<Entity>> {
        on_backend!(self, d => d.current_buckets(interval_type, filters, block))
    }
}
