//! File data sources (`file/ipfs` and `file/arweave` templates): fetching their files in the
//! background and knowing which are ready, waiting or done.
//!
//! graph-node's model, followed here for both kinds: a file data source is created by a handler
//! with a CID or an Arweave transaction id; an offchain monitor fetches the file, retrying
//! forever (a file that never appears never blocks onchain indexing); once it is there, the
//! next processed block runs the template's handler after its onchain triggers, with the file's
//! bytes, and marks the data source done at that block (it never runs again, also after a
//! restart; a revert below that block makes it wait again). Which block that is depends on when
//! the gateway answered, so it is not deterministic in graph-node either; what the handler
//! writes is, and it stays out of the proof of indexing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use sprig_arweave::ArweaveClient;
use sprig_manifest::FileSource;
use sprig_runtime::IpfsSettings;
use sprig_store::StoredDataSource;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// First wait before fetching a missing file again; it doubles up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);
/// Longest wait between two fetches of a missing file.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// Most files fetched at once. A block may create thousands of file data sources (a
/// collection's metadata files); fetching them all at once would open as many connections to
/// the gateway (and hit its rate limits and the process's file limit), so the rest wait their
/// turn.
const MAX_CONCURRENT_FETCHES: usize = 32;

/// Where files are fetched from: a gateway per kind of file, either of them possibly not set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gateways {
    /// IPFS (`--ipfs`), with its size limit.
    pub(crate) ipfs: Option<Arc<IpfsSettings>>,
    /// Arweave (`--arweave`); the client has its size limit.
    pub(crate) arweave: Option<ArweaveClient>,
}

/// Why a fetch gave no file.
struct FetchError {
    /// The content decides (a bad name, a file over the limit): no retry will change it.
    deterministic: bool,
    error: anyhow::Error,
}

/// One kind's gateway.
#[derive(Clone)]
enum Gateway {
    Ipfs(Arc<IpfsSettings>),
    Arweave(ArweaveClient),
}

impl Gateways {
    /// The gateway of `source`'s files, or the flag that would set it.
    fn of(&self, source: FileSource) -> Result<Gateway, &'static str> {
        match source {
            FileSource::Ipfs => self.ipfs.clone().map(Gateway::Ipfs).ok_or("--ipfs URL"),
            FileSource::Arweave => self
                .arweave
                .clone()
                .map(Gateway::Arweave)
                .ok_or("--arweave URL"),
        }
    }
}

impl Gateway {
    /// The file `name` (a CID or transaction id, possibly with a path), within the limits.
    async fn get(&self, name: &str) -> Result<Bytes, FetchError> {
        match self {
            Gateway::Ipfs(ipfs) => ipfs
                .client
                .cat(name, ipfs.max_file_bytes)
                .await
                .map_err(|e| FetchError {
                    deterministic: e.is_deterministic(),
                    error: e.into(),
                }),
            Gateway::Arweave(arweave) => arweave.get(name).await.map_err(|e| FetchError {
                deterministic: e.is_deterministic(),
                error: e.into(),
            }),
        }
    }
}

/// The file data sources of a deployment and their files.
pub(crate) struct FileSources {
    gateways: Gateways,
    /// The kind of each file template, by name.
    kinds: HashMap<String, FileSource>,
    /// Every file data source, by causality region.
    sources: BTreeMap<i64, StoredDataSource>,
    /// Files fetched for data sources not done yet, by causality region.
    ready: Arc<Mutex<BTreeMap<i64, Arc<Vec<u8>>>>>,
    /// The fetch of each waiting data source.
    fetches: HashMap<i64, JoinHandle<()>>,
    /// One permit per gateway request in flight, [`MAX_CONCURRENT_FETCHES`] in all.
    permits: Arc<Semaphore>,
}

impl FileSources {
    /// No file data sources yet; the files of the templates in `kinds` will be fetched through
    /// `gateways`.
    pub(crate) fn new(gateways: Gateways, kinds: HashMap<String, FileSource>) -> FileSources {
        FileSources {
            gateways,
            kinds,
            sources: BTreeMap::new(),
            ready: Arc::default(),
            fetches: HashMap::new(),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_FETCHES)),
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
            let name = source.params.first().cloned().unwrap_or_default();
            match self.kinds.get(&source.template) {
                Some(&kind) => self.watch(region, kind, name),
                // The indexer checks templates before it adds their data sources.
                None => tracing::error!(
                    "file data source `{name}` has template `{}`, which is no file template",
                    source.template
                ),
            }
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

    /// Fetches the file at `path` (of kind `kind`) in the background until it is had.
    fn watch(&mut self, region: i64, kind: FileSource, path: String) {
        if self.fetches.contains_key(&region) || self.ready.lock().unwrap().contains_key(&region) {
            return;
        }
        let gateway = match self.gateways.of(kind) {
            Ok(gateway) => gateway,
            Err(flag) => {
                tracing::warn!(
                    "file data source `{path}` ({}) waits for its file, but no gateway is set: \
                     start sprig with {flag}",
                    kind.kind()
                );
                return;
            }
        };
        let ready = self.ready.clone();
        let permits = self.permits.clone();
        let fetch = tokio::spawn(async move {
            let mut delay = FIRST_RETRY_DELAY;
            loop {
                let fetched = {
                    // Held for the request only, not while waiting to retry.
                    let _permit = permits
                        .acquire()
                        .await
                        .expect("the semaphore is never closed");
                    gateway.get(&path).await
                };
                match fetched {
                    Ok(bytes) => {
                        tracing::debug!(region, "file `{path}` fetched ({} bytes)", bytes.len());
                        ready
                            .lock()
                            .unwrap()
                            .insert(region, Arc::new(bytes.to_vec()));
                        return;
                    }
                    // The content decides: no retry will change it.
                    Err(FetchError {
                        deterministic: true,
                        error: e,
                    }) => {
                        tracing::warn!("file data source `{path}` will never be processed: {e:#}");
                        return;
                    }
                    Err(FetchError { error: e, .. }) => {
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

#[cfg(test)]
mod tests {
    use sprig_ipfs::testing::{Gateway, Layout};

    use super::*;

    /// A file data source of region `region` waiting for the file `cid`.
    fn waiting(region: i64, cid: String) -> StoredDataSource {
        StoredDataSource {
            template: "Doc".into(),
            params: vec![cid],
            context: None,
            creation_block: 1,
            causality_region: region,
            done_at: None,
        }
    }

    /// Waits (with a deadline) until the gateway's stats satisfy `done`.
    async fn wait_for(
        gateway: &Gateway,
        what: &str,
        done: impl Fn(sprig_ipfs::testing::Stats) -> bool,
    ) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !done(gateway.stats().await.unwrap()) {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} not seen in time"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Far more waiting files than [`MAX_CONCURRENT_FETCHES`], against a gateway holding the
    /// requests: never more requests than that are in flight, and every file is asked for once
    /// requests are answered.
    #[tokio::test(flavor = "multi_thread")]
    async fn at_most_max_concurrent_fetches_are_in_flight() {
        let gateway = Gateway::spawn().unwrap();
        gateway.hold().await.unwrap();
        let client = sprig_ipfs::IpfsClient::new(gateway.url(), Duration::from_secs(60)).unwrap();
        let gateways = Gateways {
            ipfs: Some(Arc::new(IpfsSettings::new(client))),
            arweave: None,
        };
        let kinds = HashMap::from([("Doc".to_string(), FileSource::Ipfs)]);
        let mut files = FileSources::new(gateways, kinds);
        let count = MAX_CONCURRENT_FETCHES + 20;
        for region in 1..=count as i64 {
            let content = format!("file {region}");
            let cid = gateway
                .add_hidden(content.as_bytes(), Layout::default())
                .await
                .unwrap();
            files.add(waiting(region, cid));
        }
        wait_for(&gateway, "the first requests", |s| {
            s.in_flight >= MAX_CONCURRENT_FETCHES
        })
        .await;
        // Room for requests beyond the bound to arrive, were there no bound (this only makes
        // the test sharper; nothing here depends on how long it is).
        tokio::time::sleep(Duration::from_millis(200)).await;
        gateway.release().await.unwrap();
        wait_for(&gateway, "a request for every file", |s| {
            s.cids_asked == count
        })
        .await;
        assert_eq!(
            gateway.stats().await.unwrap().most_in_flight,
            MAX_CONCURRENT_FETCHES
        );
    }
}

/// The two kinds side by side: each file comes from its own kind's gateway.
#[cfg(test)]
mod kinds {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn each_kind_is_fetched_from_its_own_gateway() {
        let helia = sprig_ipfs::testing::Gateway::spawn().unwrap();
        let arlocal = sprig_arweave::testing::Gateway::spawn().unwrap();
        let cid = helia
            .add(b"from IPFS", sprig_ipfs::testing::Layout::default())
            .await
            .unwrap();
        let txid = arlocal.add(b"from Arweave").await.unwrap();
        let timeout = Duration::from_secs(30);
        let gateways = Gateways {
            ipfs: Some(Arc::new(IpfsSettings::new(
                sprig_ipfs::IpfsClient::new(helia.url(), timeout).unwrap(),
            ))),
            arweave: Some(ArweaveClient::new(arlocal.url(), timeout, 1024).unwrap()),
        };
        let kinds = HashMap::from([
            ("IpfsDoc".to_string(), FileSource::Ipfs),
            ("ArweaveDoc".to_string(), FileSource::Arweave),
        ]);
        let mut files = FileSources::new(gateways, kinds);
        let source = |region: i64, template: &str, param: &str| StoredDataSource {
            template: template.into(),
            params: vec![param.into()],
            context: None,
            creation_block: 1,
            causality_region: region,
            done_at: None,
        };
        files.add(source(1, "IpfsDoc", &cid));
        files.add(source(2, "ArweaveDoc", &txid));
        // The names crossed: a CID is no transaction id and a transaction id no CID, so
        // neither is ever fetched (arlocal would answer a CID's path with an error page of
        // status 200, which would arrive here as the file if it were asked).
        files.add(source(3, "ArweaveDoc", &cid));
        files.add(source(4, "IpfsDoc", &txid));
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let ready = loop {
            let ready: Vec<(i64, Vec<u8>)> = files
                .ready()
                .into_iter()
                .map(|(ds, content)| (ds.causality_region, content.to_vec()))
                .collect();
            if ready.len() >= 2 {
                break ready;
            }
            assert!(std::time::Instant::now() < deadline, "files not fetched");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // Room for a wrong answer for regions 3 and 4 to arrive (the test is only sharper).
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            files
                .ready()
                .into_iter()
                .map(|(ds, _)| ds.causality_region)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(
            ready,
            [(1, b"from IPFS".to_vec()), (2, b"from Arweave".to_vec())]
        );
    }
}
