//! File data sources (`file/ipfs` templates): fetching their files in the background and
//! knowing which are ready, waiting or done.
//!
//! graph-node's model, followed here: a file data source is created by a handler with a CID; an
//! offchain monitor fetches the file, retrying forever (a file that never appears never blocks
//! onchain indexing); once it is there, the next processed block runs the template's handler
//! after its onchain triggers, with the file's bytes, and marks the data source done at that
//! block (it never runs again, also after a restart; a revert below that block makes it wait
//! again). Which block that is depends on when the gateway answered, so it is not deterministic
//! in graph-node either; what the handler writes is, and it stays out of the proof of indexing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sprig_runtime::IpfsSettings;
use sprig_store::StoredDataSource;
use tokio::task::JoinHandle;

/// First wait before fetching a missing file again; it doubles up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);
/// Longest wait between two fetches of a missing file.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// The file data sources of a deployment and their files.
pub(crate) struct FileSources {
    ipfs: Option<Arc<IpfsSettings>>,
    /// Every file data source, by causality region.
    sources: BTreeMap<i64, StoredDataSource>,
    /// Files fetched for data sources not done yet, by causality region.
    ready: Arc<Mutex<BTreeMap<i64, Arc<Vec<u8>>>>>,
    /// The fetch of each waiting data source.
    fetches: HashMap<i64, JoinHandle<()>>,
}

impl FileSources {
    /// Starts fetching the files of the data sources in `stored` that are not done.
    pub(crate) fn new(ipfs: Option<Arc<IpfsSettings>>) -> FileSources {
        FileSources {
            ipfs,
            sources: BTreeMap::new(),
            ready: Arc::default(),
            fetches: HashMap::new(),
        }
    }

    /// The causality region the next file data source gets: one more than the highest so far
    /// (graph-node numbers them 1, 2, 3, ... from a per-deployment sequence).
    pub(crate) fn next_region(&self) -> i64 {
        self.sources.keys().next_back().map_or(1, |r| r + 1)
    }

    /// Adds a file data source (created now, or loaded from the store); if it is not done,
    /// starts fetching its file.
    pub(crate) fn add(&mut self, source: StoredDataSource) {
        let region = source.causality_region;
        if source.done_at.is_none() {
            self.watch(region, source.params.first().cloned().unwrap_or_default());
        }
        self.sources.insert(region, source);
    }

    /// Replaces everything with the data sources the store holds (after a revert, or after an
    /// error that may have lost deferred blocks).
    pub(crate) fn reload(&mut self, stored: Vec<StoredDataSource>) {
        let keep: HashMap<i64, bool> = stored
            .iter()
            .map(|ds| (ds.causality_region, ds.done_at.is_none()))
            .collect();
        self.fetches.retain(|region, fetch| {
            let waiting = keep.get(region).copied().unwrap_or(false);
            if !waiting {
                fetch.abort();
            }
            waiting
        });
        self.ready
            .lock()
            .unwrap()
            .retain(|region, _| keep.get(region).copied().unwrap_or(false));
        self.sources.clear();
        for ds in stored.into_iter().filter(|ds| ds.causality_region > 0) {
            self.add(ds);
        }
    }

    /// The waiting data sources whose file has arrived, by region, with the file.
    pub(crate) fn ready(&self) -> Vec<(StoredDataSource, Arc<Vec<u8>>)> {
        let ready = self.ready.lock().unwrap();
        ready
            .iter()
            .filter_map(|(region, content)| {
                let source = self.sources.get(region)?;
                source
                    .done_at
                    .is_none()
                    .then(|| (source.clone(), content.clone()))
            })
            .collect()
    }

    /// Records that the data source of `region` ran at `block` (its write is in the store's
    /// hands now).
    pub(crate) fn done(&mut self, region: i64, block: u64) {
        if let Some(source) = self.sources.get_mut(&region) {
            source.done_at = Some(block);
        }
        self.ready.lock().unwrap().remove(&region);
        self.fetches.remove(&region);
    }

    /// Fetches the file at `path` in the background until it is had.
    fn watch(&mut self, region: i64, path: String) {
        if self.fetches.contains_key(&region) || self.ready.lock().unwrap().contains_key(&region) {
            return;
        }
        let Some(ipfs) = self.ipfs.clone() else {
            tracing::warn!(
                "file data source `{path}` waits for its file, but no IPFS gateway is set: \
                 start sprig with --ipfs URL"
            );
            return;
        };
        let ready = self.ready.clone();
        let fetch = tokio::spawn(async move {
            let mut delay = FIRST_RETRY_DELAY;
            loop {
                match ipfs.client.cat(&path, ipfs.max_file_bytes).await {
                    Ok(bytes) => {
                        tracing::debug!(region, "file `{path}` fetched ({} bytes)", bytes.len());
                        ready
                            .lock()
                            .unwrap()
                            .insert(region, Arc::new(bytes.to_vec()));
                        return;
                    }
                    // The content decides: no retry will change it.
                    Err(e) if e.is_deterministic() => {
                        tracing::warn!("file data source `{path}` will never be processed: {e:#}");
                        return;
                    }
                    Err(e) => {
                        tracing::debug!(
                            "file `{path}` not fetched yet ({e:#}); again in {delay:?}"
                        );
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_RETRY_DELAY);
                    }
                }
            }
        });
        self.fetches.insert(region, fetch);
    }
}

impl Drop for FileSources {
    fn drop(&mut self) {
        for fetch in self.fetches.values() {
            fetch.abort();
        }
    }
}

/// What a file data source's handler reads from the store: nothing. graph-node gives it an
/// empty store too, so it cannot see or overwrite other regions' entities.
pub(crate) struct NoEntities;

impl sprig_store::EntityReader for NoEntities {
    fn get(&self, _key: &sprig_value::EntityKey) -> anyhow::Result<Option<sprig_value::Entity>> {
        Ok(None)
    }

    fn get_derived(
        &self,
        _entity_type: &str,
        _field: &str,
        _id: &sprig_value::Id,
    ) -> anyhow::Result<Vec<sprig_value::Entity>> {
        Ok(Vec::new())
    }
}

/// The chain as a file data source's handler sees it: not at all (graph-node links no
/// `ethereum.*` functions for offchain data sources).
pub(crate) struct NoChain;

impl NoChain {
    fn refuse<T>(&self) -> sprig_runtime::ChainFuture<'_, T> {
        Box::pin(async {
            Err(anyhow::anyhow!(
                "file data source handlers cannot call the chain (ethereum.call, getBalance, \
                 hasCode)"
            ))
        })
    }
}

impl sprig_runtime::EthereumCalls for NoChain {
    fn call(
        &self,
        _to: alloy::primitives::Address,
        _data: alloy::primitives::Bytes,
        _block: sprig_value::BlockPtr,
    ) -> sprig_runtime::ChainFuture<'_, sprig_runtime::CallResult> {
        self.refuse()
    }

    fn get_balance(
        &self,
        _address: alloy::primitives::Address,
        _block: sprig_value::BlockPtr,
    ) -> sprig_runtime::ChainFuture<'_, alloy::primitives::U256> {
        self.refuse()
    }

    fn get_code(
        &self,
        _address: alloy::primitives::Address,
        _block: sprig_value::BlockPtr,
    ) -> sprig_runtime::ChainFuture<'_, alloy::primitives::Bytes> {
        self.refuse()
    }
}
