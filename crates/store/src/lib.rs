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
//! The backend is SQLite ([`SqliteStore`]: one file, many deployments; [`SqliteDeployment`]
//! implements both store traits). Code map: `cache.rs` (the entity cache), `validation.rs`
//! (entities against the schema), `sqlite/` (`layout.rs` tables and DDL, `codec.rs` values,
//! `numeric.rs` the order-preserving BigInt/BigDecimal encoding, `write.rs` commit and revert,
//! `query.rs` SQL for queries, `meta.rs` head, failure and data sources).
//!
//! Architecture invariants: the store knows nothing about wasm or GraphQL syntax; a block is
//! either wholly committed (entities, data sources, pointer) or not at all; every value reaches
//! SQL as a bound parameter.

mod cache;
mod sql;
mod sqlite;
mod validation;

pub use cache::{EntityCache, EntityWrite};
pub use sqlite::{SqliteDeployment, SqliteStore};

use anyhow::Result;
use sprig_value::{BlockPtr, Entity, EntityKey, Value};

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
}

/// Reads the latest committed state of entities; what the entity cache falls back to.
pub trait EntityReader: Send + Sync {
    /// The current version of an entity, or `None` if it does not exist.
    fn get(&self, key: &EntityKey) -> Result<Option<Entity>>;
}

/// Writes blocks of one deployment.
pub trait WritableStore: EntityReader {
    /// Progress and failure state.
    fn status(&self) -> Result<DeploymentStatus>;

    /// Commits one block's changes together with the new head pointer in one transaction.
    /// `block.number` must be greater than the current head's.
    fn transact_block(&self, block: BlockPtr, timestamp: u64, write: BlockWrite) -> Result<()>;

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
    /// closed after it, drops data sources created after it, and moves the head to `block`.
    fn revert_to(&self, block: BlockPtr, timestamp: u64) -> Result<()>;
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
}
