//! What a handler runs against: its data source, the block's state, the chain and the schema.

use std::sync::Arc;

use sprig_manifest::{Abi, Schema};
use sprig_store::{EntityCache, StoredDataSource};
use sprig_value::{BlockPtr, Entity};

use crate::chain::EthereumCalls;

/// Everything one handler call needs, owned: it moves into the wasm instance's store for the
/// call and the [`BlockState`] comes back in the [`HandlerResult`](crate::HandlerResult).
pub struct HandlerContext {
    /// Name of the wasm export to call, e.g. `handleTransfer`.
    pub handler: String,
    /// The block the trigger belongs to; `ethereum.call`s are made at this block.
    pub block: BlockPtr,
    /// Unix seconds of that block.
    pub block_timestamp: u64,
    /// The data source whose mapping runs.
    pub data_source: DataSourceInfo,
    /// The block's entity cache and created data sources, threaded through all its triggers.
    pub state: BlockState,
    /// `eth_call` at [`HandlerContext::block`].
    pub chain: Arc<dyn EthereumCalls>,
    /// The subgraph's schema: `store.*` resolves entity types and id types here.
    pub schema: Arc<Schema>,
}

/// The data source a mapping runs for, as the `dataSource.*` host functions report it.
#[derive(Clone, Debug)]
pub struct DataSourceInfo {
    /// The data source's name from the manifest (logs and error messages name it).
    pub name: String,
    /// The network, e.g. `mainnet` (`dataSource.network()`).
    pub network: String,
    /// The contract address, or a file data source's CID (with its path, if any) as UTF-8
    /// (`dataSource.address()`, read as a string by `dataSource.stringParam()`; empty bytes
    /// when `None`).
    pub address: Option<Vec<u8>>,
    /// The context of a data source created with `createWithContext` (`dataSource.context()`).
    pub context: Option<Entity>,
    /// Names of the templates `dataSource.create` may instantiate.
    pub templates: Arc<Vec<String>>,
    /// The data source's ABIs by name, for `ethereum.call`.
    pub abis: Arc<Vec<Abi>>,
}

/// The state a block's handlers build up, one handler after another.
///
/// The runtime keeps a handler's changes on success and discards them (entity writes and
/// created data sources alike) when it fails.
#[derive(Debug)]
pub struct BlockState {
    /// Entity reads and writes of the block.
    pub cache: EntityCache,
    /// Data sources created by the block's successful handlers, in creation order.
    pub created_data_sources: Vec<StoredDataSource>,
}

impl BlockState {
    /// The state at the start of a block.
    pub fn new(cache: EntityCache) -> BlockState {
        BlockState {
            cache,
            created_data_sources: Vec::new(),
        }
    }
}
