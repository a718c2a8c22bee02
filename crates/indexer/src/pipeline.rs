//! The indexing loop.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::files::{FileSources, Gateways, NoChain, NoEntities};
use crate::metrics::Metrics;

use alloy::primitives::{Address, Bytes, B256, U256};
use anyhow::{anyhow, bail, Context, Result};
use sprig_chain::rpc::{CallOutcome, RpcClient};
use sprig_chain::{Block, Call, Log};
use sprig_manifest::{Manifest, Prune};
use sprig_poi::{BlockPoi, PoiEvent};
use sprig_runtime::{
    ApiVersion, BlockState, CallResult, ChainFuture, DataSourceInfo, EthereumCalls, HandlerContext,
    MappingError, MappingModule, MappingRuntime, MappingTrigger,
};
use sprig_store::{
    BlockWrite, EntityCache, EntityReader, EntityWrite, StoredDataSource, SubgraphFailure,
    WritableStore,
};
use sprig_triggers::{
    block_triggers, call_handler_transactions, calls_from_traces, wants_block, BlockContent,
    CallFilter, DeclaredEthCall, Host, LogFilter, Trigger, TriggerData,
};
use sprig_value::{to_hex, BlockPtr};
use tokio::sync::watch;

/// Settings of the indexing loop.
#[derive(Clone, Debug)]
pub struct IndexerConfig {
    /// Stop once this block is committed.
    pub until: Option<u64>,
    /// How often to ask for a new chain head once caught up.
    pub poll_interval: Duration,
    /// The most blocks asked for in one `eth_getLogs`.
    pub max_range: u64,
    /// How many times a block that failed non-deterministically (an RPC error, a handler
    /// timeout) is retried before indexing halts.
    pub max_retries: u32,
    /// Delay before the first retry; it doubles with every further retry, up to
    /// `max_retry_backoff`.
    pub retry_backoff: Duration,
    /// Longest delay between two retries.
    pub max_retry_backoff: Duration,
    /// The deepest chain reorganisation that is followed by reverting; a deeper one halts
    /// indexing rather than leave wrong data.
    pub reorg_threshold: u64,
    /// How many blocks of entity history to keep (`indexerHints.prune`); `None` keeps all.
    /// Must exceed `reorg_threshold`, since a revert needs the history it undoes.
    pub history_blocks: Option<u64>,
    /// The Arweave gateway `file/arweave` data sources' files come from; without one they wait
    /// (with a warning). IPFS files come through the runtime's IPFS settings.
    pub arweave: Option<sprig_arweave::ArweaveClient>,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        IndexerConfig {
            until: None,
            poll_interval: Duration::from_millis(500),
            max_range: 2000,
            // graph-node retries forever (backoff capped at an hour), which suits a service
            // watched by an operator. Sprig is one process per subgraph: it retries long enough
            // to ride out a node restart or a rate-limit window (0.5 s doubling to 60 s, ten
            // retries: about 4 minutes), then halts with a message and a failing exit code
            // rather than loop silently on a failure that will not go away (a timeout too
            // tight for the machine, a node without the state). A supervisor that restarts it
            // gives graph-node's behaviour; the head is kept, so a restart loses nothing.
            max_retries: 10,
            retry_backoff: Duration::from_millis(500),
            max_retry_backoff: Duration::from_secs(60),
            reorg_threshold: 250,
            history_blocks: None,
            arweave: None,
        }
    }
}

impl IndexerConfig {
    /// Sets [`history_blocks`](Self::history_blocks) from the manifest's `indexerHints.prune`,
    /// as graph-node resolves it: `auto` keeps twice the reorg threshold; a number of blocks must
    /// exceed the threshold. Call after setting `reorg_threshold`.
    pub fn with_prune(mut self, prune: Prune) -> Result<Self> {
        self.history_blocks = match prune {
            Prune::Never => None,
            Prune::Auto => Some(self.reorg_threshold.saturating_mul(2).max(1)),
            Prune::Blocks(n) if n <= self.reorg_threshold => bail!(
                "`indexerHints.prune: {n}` keeps {n} blocks of history, but reverting a chain \
                 reorganisation needs more than the reorg threshold, {} blocks (--reorg-threshold)",
                self.reorg_threshold
            ),
            Prune::Blocks(n) => Some(n),
        };
        Ok(self)
    }
}

/// Where indexing is, reported after each committed range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The last committed block.
    pub block: u64,
    /// The block indexing aims at (`--until`, or the chain head).
    pub target: u64,
    /// Handler calls run so far in this process.
    pub handler_calls: u64,
    /// Blocks processed so far in this process (including blocks without triggers).
    pub blocks: u64,
}

/// Why [`Indexer::run`] returned.
#[derive(Clone, Debug, PartialEq)]
pub enum StopReason {
    /// `until` was reached.
    ReachedUntil(u64),
    /// The shutdown signal was received; everything up to `head` is committed.
    Shutdown { head: Option<u64> },
    /// The subgraph failed deterministically; the failure is stored.
    Failed(SubgraphFailure),
}

/// Indexes one subgraph into one store.
pub struct Indexer {
    manifest: Arc<Manifest>,
    rpc: RpcClient,
    store: Arc<dyn WritableStore>,
    runtime: MappingRuntime,
    /// Compiled modules by wasm file, shared by the hosts that use the same file.
    modules: HashMap<PathBuf, MappingModule>,
    hosts: Vec<Host>,
    config: IndexerConfig,
    progress: Progress,
    /// The names of the manifest's templates, handed to every handler.
    template_names: Arc<Vec<String>>,
    /// The causality region of every onchain trigger: `ethereum/<network>`.
    poi_region: String,
    /// The latest stored proof-of-indexing digest per region (mirrors the store, so a block
    /// needs no read to chain its digest to the previous one).
    poi_digests: HashMap<String, Vec<u8>>,
    /// The store's earliest kept block, as of the last prune.
    earliest_block: u64,
    /// File data sources and their files.
    files: FileSources,
    metrics: Arc<Metrics>,
}

impl Indexer {
    /// Prepares indexing: compiles every mapping and restores the data sources created so far.
    pub fn new(
        manifest: Arc<Manifest>,
        rpc: RpcClient,
        store: Arc<dyn WritableStore>,
        runtime: MappingRuntime,
        config: IndexerConfig,
    ) -> Result<Indexer> {
        let mut modules = HashMap::new();
        let mappings = manifest
            .data_sources
            .iter()
            .map(|d| (&d.name, &d.mapping))
            .chain(manifest.templates.iter().map(|t| (&t.name, &t.mapping)));
        for (name, mapping) in mappings {
            if modules.contains_key(&mapping.file) {
                continue;
            }
            let v = mapping.api_version;
            let module = runtime
                .load_file(
                    name,
                    &mapping.wasm,
                    &mapping.file,
                    ApiVersion::new(v.0, v.1, v.2),
                )
                .with_context(|| {
                    format!("cannot load mapping {} of `{name}`", mapping.file.display())
                })?;
            modules.insert(mapping.file.clone(), module);
        }
        let mut hosts: Vec<Host> = manifest
            .data_sources
            .iter()
            .map(|ds| Host {
                name: ds.name.clone(),
                template: None,
                network: ds.network.clone(),
                address: ds.source.address,
                start_block: ds.source.start_block,
                end_block: ds.source.end_block,
                mapping: Arc::new(ds.mapping.clone()),
                abi: ds.source.abi.clone(),
                context: ds.context.clone(),
            })
            .collect();
        let gateways = Gateways {
            ipfs: runtime.ipfs(),
            arweave: config.arweave.clone(),
        };
        let file_kinds = manifest
            .templates
            .iter()
            .filter_map(|t| Some((t.name.clone(), t.file_source()?)))
            .collect();
        let mut files = FileSources::new(gateways, file_kinds);
        for stored in store.data_sources()? {
            if stored.causality_region > 0 {
                files.add(stored);
            } else {
                hosts.push(host_from_template(&manifest, &stored)?);
            }
        }
        let poi_digests = committed_poi_digests(store.as_ref())?;
        Ok(Indexer {
            template_names: Arc::new(manifest.templates.iter().map(|t| t.name.clone()).collect()),
            poi_region: sprig_poi::causality_region_for_network(manifest.network()),
            poi_digests,
            manifest,
            rpc,
            store,
            runtime,
            modules,
            hosts,
            config,
            progress: Progress::default(),
            earliest_block: 0,
            metrics: Arc::default(),
            files,
        })
    }

    /// The mapping runtime (its settings and engine).
    pub fn runtime(&self) -> &MappingRuntime {
        &self.runtime
    }

    /// The process's counters (handler calls and gas per handler, blocks), updated as indexing
    /// goes.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Runs until `until`, a deterministic failure, or `shutdown` turns true. `on_progress` is
    /// called after every committed range.
    pub async fn run(
        &mut self,
        mut shutdown: watch::Receiver<bool>,
        mut on_progress: impl FnMut(&Progress),
    ) -> Result<StopReason> {
        let status = self.store.status()?;
        if let Some(failure) = status.failure.filter(|f| f.fatal) {
            return Ok(StopReason::Failed(failure));
        }
        self.earliest_block = status.earliest_block;
        let first_block = self.hosts.iter().map(|h| h.start_block).min().unwrap_or(0);
        let mut next = status.head.map(|h| h.number + 1).unwrap_or(first_block);
        self.progress.block = status.head.map(|h| h.number).unwrap_or(0);
        let mut retries = 0u32;
        loop {
            if *shutdown.borrow() {
                return Ok(StopReason::Shutdown {
                    head: self.store.status()?.head.map(|h| h.number),
                });
            }
            if let Some(until) = self.config.until {
                if next > until {
                    return Ok(StopReason::ReachedUntil(until));
                }
            }
            let step = async {
                if let Some(ancestor) = self.revert_if_reorganized().await? {
                    return Ok::<_, anyhow::Error>(Step::Reverted(ancestor));
                }
                let chain_head = self.rpc.latest_block_number().await?;
                let target = self.config.until.map_or(chain_head, |u| u.min(chain_head));
                if next > target {
                    return Ok(Step::Idle);
                }
                self.progress.target = self.config.until.unwrap_or(chain_head);
                let end = target.min(next + self.config.max_range - 1);
                self.index_range(next, end, &shutdown)
                    .await
                    .map(Step::Range)
            };
            match step.await {
                Ok(Step::Reverted(ancestor)) => {
                    retries = 0;
                    next = ancestor.number + 1;
                    self.progress.block = ancestor.number;
                    on_progress(&self.progress);
                }
                Ok(Step::Idle) => {
                    retries = 0;
                    tokio::select! {
                        _ = tokio::time::sleep(self.config.poll_interval) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Ok(Step::Range(RangeOutcome::Committed(last))) => {
                    retries = 0;
                    next = last + 1;
                    self.progress.block = last;
                    self.prune_history(last);
                    self.metrics.set_progress(self.progress.blocks, last);
                    on_progress(&self.progress);
                }
                Ok(Step::Range(RangeOutcome::Failed(failure))) => {
                    return Ok(StopReason::Failed(failure))
                }
                Err(e) if e.is::<ReorgTooDeep>() => return Err(e),
                Err(e) => {
                    // Blocks before the failing one may have been committed.
                    if let Some(head) = self.store.status()?.head {
                        next = next.max(head.number + 1);
                        self.progress.block = head.number;
                    }
                    // The block that failed, if it was processing one: blocks without
                    // triggers before it are not committed on their own, so `next` may be
                    // behind it.
                    let (block, located) = match e.downcast_ref::<InBlock>() {
                        Some(InBlock(n)) => (*n, true),
                        None => (next, false),
                    };
                    retries += 1;
                    if retries > self.config.max_retries {
                        let max = self.config.max_retries;
                        return Err(e.context(format!(
                            "indexing halted at block {block} after {max} {} (the error is \
                             non-deterministic, so nothing of the block was stored; a restart \
                             tries it again)",
                            if max == 1 { "retry" } else { "retries" }
                        )));
                    }
                    let delay = retry_delay(&self.config, retries);
                    // An `InBlock` error starts with "block N: " already.
                    let prefix = if located {
                        String::new()
                    } else {
                        format!("block {next}: ")
                    };
                    tracing::warn!(
                        "{prefix}{e:#} (non-deterministic; retry {retries}/{} in {delay:?})",
                        self.config.max_retries
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
    }

    /// Checks that the stored head is still on the canonical chain. If not, reverts the store
    /// to the newest committed block that is, drops the data sources created after it, and
    /// returns it.
    async fn revert_if_reorganized(&mut self) -> Result<Option<BlockPtr>> {
        let Some(head) = self.store.status()?.head else {
            return Ok(None);
        };
        if self.rpc.block_hash(head.number).await?.0 == head.hash {
            return Ok(None);
        }
        let threshold = self.config.reorg_threshold;
        let recent = self.store.recent_blocks(
            usize::try_from(threshold)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        )?;
        for (ptr, timestamp) in recent.iter().filter(|(p, _)| p.number < head.number) {
            if head.number - ptr.number > threshold {
                break;
            }
            if self.rpc.block_hash(ptr.number).await?.0 == ptr.hash {
                tracing::warn!(
                    "chain reorganization: block {} is no longer canonical; reverting to block {}",
                    head,
                    ptr
                );
                self.revert_to(*ptr, *timestamp)?;
                return Ok(Some(*ptr));
            }
        }
        // No committed block is canonical any more, yet the reorganisation may be shallow: it
        // forked before the first block this subgraph committed (one that started near the
        // head). Then everything stored is from the abandoned branch, and the subgraph starts
        // over from its start block, the head set to the canonical block before it. Only when
        // every committed block was looked at (none pruned or beyond the threshold).
        let first_block = self.hosts.iter().map(|h| h.start_block).min().unwrap_or(0);
        let before_start = first_block.saturating_sub(1);
        let saw_every_block = recent.len() <= usize::try_from(threshold).unwrap_or(usize::MAX)
            && self.earliest_block == 0;
        if saw_every_block && head.number - before_start <= threshold {
            let block = self.rpc.block_by_number(before_start).await?;
            let ptr = block.ptr();
            tracing::warn!(
                "chain reorganization: no block indexed so far is canonical any more; reverting to block {ptr}, before the subgraph's start block"
            );
            self.revert_to(ptr, block.timestamp)?;
            return Ok(Some(ptr));
        }
        Err(ReorgTooDeep { head, threshold }.into())
    }

    /// Reverts the store to `ptr` and brings the in-memory state in line: proof-of-indexing
    /// digests, pending file data sources, and hosts (in creation order; those created after
    /// `ptr` are gone).
    fn revert_to(&mut self, ptr: BlockPtr, timestamp: u64) -> Result<()> {
        self.store.revert_to(ptr, timestamp)?;
        self.poi_digests = committed_poi_digests(self.store.as_ref())?;
        self.files.reload(self.store.data_sources()?);
        self.hosts
            .retain(|h| h.template.is_none() || h.start_block <= ptr.number);
        Ok(())
    }

    /// Deletes the history older than `history_blocks` before `head` once a fifth more than
    /// that has piled up (graph-node's slack factor), so pruning runs now and then in batches
    /// rather than after every range. A failure only delays pruning: indexing goes on.
    fn prune_history(&mut self, head: u64) {
        let Some(keep) = self.config.history_blocks else {
            return;
        };
        if head.saturating_sub(self.earliest_block) <= keep.saturating_add(keep / 5) {
            return;
        }
        let earliest = head - keep;
        let started = std::time::Instant::now();
        match self.store.prune(earliest) {
            Ok(report) => {
                self.earliest_block = earliest;
                tracing::info!(
                    earliest,
                    versions = report.versions,
                    metadata_rows = report.metadata,
                    elapsed = ?started.elapsed(),
                    "pruned the history before block {earliest}"
                );
            }
            Err(e) => tracing::warn!("cannot prune the history before block {earliest}: {e:#}"),
        }
    }

    /// Indexes `[from, to]`; returns the last committed block, which is `to` unless a data
    /// source was created (then the range is cut after that block so the next range is fetched
    /// with the new filter) or shutdown was requested.
    ///
    /// The range's blocks commit together at its end (each block is still whole: the store
    /// applies it under a savepoint). On an error the blocks applied before it are committed
    /// too, and the caller resumes from the store's head.
    async fn index_range(
        &mut self,
        from: u64,
        to: u64,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<RangeOutcome> {
        let result = self.index_range_deferred(from, to, shutdown).await;
        let flushed = self.store.flush();
        if result.is_err() || flushed.is_err() {
            // The in-memory mirrors may be ahead of what the store holds now.
            self.poi_digests = committed_poi_digests(self.store.as_ref())?;
            self.files.reload(self.store.data_sources()?);
        }
        flushed?;
        result
    }

    async fn index_range_deferred(
        &mut self,
        from: u64,
        to: u64,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<RangeOutcome> {
        let started = std::time::Instant::now();
        let filter = LogFilter::for_hosts(&self.hosts);
        let logs = self.fetch_logs(from, to, &filter).await?;
        let log_count = logs.len();
        let logs_fetched = started.elapsed();
        let mut by_block: BTreeMap<u64, Vec<Arc<Log>>> = BTreeMap::new();
        for log in logs {
            by_block
                .entry(log.block_number)
                .or_default()
                .push(Arc::new(log));
        }
        let call_filter = CallFilter::for_hosts(&self.hosts);
        let mut calls_by_block: BTreeMap<u64, Vec<Arc<Call>>> = BTreeMap::new();
        for call in self.fetch_calls(from, to, &call_filter).await? {
            calls_by_block
                .entry(call.block_number)
                .or_default()
                .push(call);
        }
        let mut numbers: Vec<u64> = by_block.keys().copied().collect();
        numbers.extend(calls_by_block.keys().copied());
        if self
            .hosts
            .iter()
            .any(|h| !h.mapping.block_handlers.is_empty())
        {
            numbers.extend((from..=to).filter(|n| wants_block(&self.hosts, *n)));
        }
        // The range's last block is always committed, so the head advances through empty ranges.
        numbers.push(to);
        numbers.sort_unstable();
        numbers.dedup();
        let blocks = self.rpc.blocks_by_number(&numbers).await?;
        let blocks_fetched = started.elapsed();
        let handler_calls = self.progress.handler_calls;
        let mut last = from.saturating_sub(1);
        for block in blocks {
            let block = Arc::new(block);
            let logs = by_block.remove(&block.number).unwrap_or_default();
            let calls = calls_by_block.remove(&block.number).unwrap_or_default();
            if let Some(log) = logs.iter().find(|l| l.block_hash != block.hash) {
                bail!(
                    "the chain reorganized while block {} was fetched (a log names block {}, the block is {}); retrying",
                    block.number,
                    log.block_hash,
                    block.hash
                );
            }
            let hosts_before = self.hosts.len();
            match self
                .process_block(&block, &logs, &calls)
                .await
                .context(InBlock(block.number))?
            {
                BlockOutcome::Committed => {}
                BlockOutcome::Failed(f) => return Ok(RangeOutcome::Failed(f)),
            }
            self.progress.blocks += 1;
            last = block.number;
            if self.hosts.len() != hosts_before || *shutdown.borrow() {
                break;
            }
        }
        tracing::debug!(
            from,
            to,
            last,
            logs = log_count,
            blocks = numbers.len(),
            handlers = self.progress.handler_calls - handler_calls,
            logs_ms = logs_fetched.as_millis() as u64,
            blocks_ms = (blocks_fetched - logs_fetched).as_millis() as u64,
            process_ms = (started.elapsed() - blocks_fetched).as_millis() as u64,
            "range indexed"
        );
        Ok(RangeOutcome::Committed(last))
    }

    async fn fetch_logs(&self, from: u64, to: u64, filter: &LogFilter) -> Result<Vec<Log>> {
        if filter.is_empty() {
            return Ok(Vec::new());
        }
        self.rpc
            .logs(from..=to, &filter.addresses, &filter.topic0s)
            .await
            .with_context(|| format!("eth_getLogs for blocks {from}..={to}"))
    }

    /// The calls in `[from, to]` that call handlers and `call` block filters can see, in the
    /// order they ran; no request at all when no data source needs traces.
    async fn fetch_calls(&self, from: u64, to: u64, filter: &CallFilter) -> Result<Vec<Arc<Call>>> {
        if filter.is_empty() {
            return Ok(Vec::new());
        }
        let traces = self
            .rpc
            .traces(from..=to, &filter.addresses)
            .await
            .with_context(|| {
                format!(
                    "trace_filter for blocks {from}..={to} (call handlers and `call` block \
                     filters need a node that serves Parity-style traces)"
                )
            })?;
        Ok(calls_from_traces(&traces))
    }

    /// The transactions among `calls`' that call handlers of `hosts[first_host..]` would see and
    /// that failed: their calls run no call handler. One receipts request for the block, and
    /// only when some call handler matches.
    async fn failed_transactions(
        &self,
        block: &Block,
        first_host: usize,
        calls: &[Arc<Call>],
    ) -> Result<HashSet<B256>> {
        let wanted = call_handler_transactions(&self.hosts, first_host, block.number, calls);
        if wanted.is_empty() {
            return Ok(HashSet::new());
        }
        let receipts = self
            .rpc
            .block_receipts(block.ptr())
            .await
            .with_context(|| format!("receipts of block {}", block.number))?;
        let failed: HashSet<B256> = receipts
            .iter()
            .filter(|r| r.status == Some(0))
            .map(|r| r.transaction_hash)
            .collect();
        if let Some(missing) = wanted
            .iter()
            .find(|tx| !receipts.iter().any(|r| &r.transaction_hash == *tx))
        {
            bail!(
                "block {} has no receipt for transaction {missing}, which a trace names",
                block.number
            );
        }
        Ok(failed)
    }

    /// Runs every trigger of one block and hands the result to the store (deferred: the range
    /// commits at its end). On an error the data sources it created are forgotten again.
    async fn process_block(
        &mut self,
        block: &Arc<Block>,
        logs: &[Arc<Log>],
        calls: &[Arc<Call>],
    ) -> Result<BlockOutcome> {
        let hosts_before = self.hosts.len();
        let result = self.run_block(block, logs, calls).await;
        if result.is_err() {
            self.hosts.truncate(hosts_before);
        }
        result
    }

    async fn run_block(
        &mut self,
        block: &Arc<Block>,
        logs: &[Arc<Log>],
        calls: &[Arc<Call>],
    ) -> Result<BlockOutcome> {
        let ptr = block.ptr();
        let reader: Arc<dyn EntityReader> = self.store.clone();
        let mut state = BlockState::new(EntityCache::new(reader, self.manifest.schema.clone()));
        let mut first_host = 0;
        let mut created: Vec<StoredDataSource> = Vec::new();
        let mut block_logs: Vec<Arc<Log>> = logs.to_vec();
        let mut block_calls: Vec<Arc<Call>> = calls.to_vec();
        let non_fatal = self.manifest.has_feature("nonFatalErrors");
        let mut non_fatal_failure = None;
        let mut poi = BlockPoi::new(block.number);
        loop {
            if let Some(call) = block_calls.iter().find(|c| c.block_hash != block.hash) {
                bail!(
                    "the chain reorganized while block {} was fetched (a trace names block {}, the block is {}); retrying",
                    block.number,
                    call.block_hash,
                    block.hash
                );
            }
            let failed = self
                .failed_transactions(block, first_host, &block_calls)
                .await?;
            let content = BlockContent {
                number: block.number,
                logs: &block_logs,
                calls: &block_calls,
                failed_transactions: &failed,
            };
            let triggers = block_triggers(&self.hosts, first_host, content)
                .map_err(|e| anyhow!("{e:#}"))
                .with_context(|| format!("matching triggers in block {}", block.number));
            let triggers = match triggers {
                Ok(t) => t,
                Err(e) => {
                    return self.fail(ptr, block.timestamp, None, format!("{e:#}"), poi);
                }
            };
            let prefetched = Arc::new(self.prefetch_declared_calls(block, &triggers).await);
            for trigger in triggers {
                poi.start_trigger(&self.poi_region);
                let (new_state, outcome) =
                    self.run_trigger(block, &trigger, state, &prefetched).await;
                state = new_state;
                for write in state.cache.take_writes() {
                    poi.write(&self.poi_region, &poi_event(write));
                }
                if matches!(outcome, Err(MappingError::Deterministic(_))) {
                    poi.write_deterministic_error(&self.poi_region);
                }
                match outcome {
                    Ok(()) => {}
                    Err(MappingError::NonDeterministic(e)) => {
                        return Err(e.context(describe(
                            &self.hosts[trigger.host],
                            &trigger,
                            block,
                        )));
                    }
                    Err(MappingError::Deterministic(e)) => {
                        // The runtime's own context names only the handler and block; ours
                        // says more, so only the cause (with its wasm backtrace) is kept.
                        let message = format!(
                            "{}: {:#}",
                            describe(&self.hosts[trigger.host], &trigger, block),
                            e.root_cause()
                        );
                        if non_fatal {
                            tracing::error!(
                                "{message} (nonFatalErrors: the handler's writes are dropped)"
                            );
                            non_fatal_failure.get_or_insert(SubgraphFailure {
                                block: ptr,
                                handler: Some(trigger.handler.clone()),
                                message,
                                fatal: false,
                            });
                        } else {
                            return self.fail(
                                ptr,
                                block.timestamp,
                                Some(trigger.handler),
                                message,
                                poi,
                            );
                        }
                    }
                }
            }
            // Data sources created by this pass get this block's triggers, against only them.
            let new = std::mem::take(&mut state.created_data_sources);
            if new.is_empty() {
                break;
            }
            first_host = self.hosts.len();
            for ds in new {
                if self.is_file_template(&ds.template) {
                    created.extend(self.add_file_source(ds, block.number));
                } else {
                    self.hosts.push(host_from_template(&self.manifest, &ds)?);
                    created.push(ds);
                }
            }
            if self.hosts.len() == first_host {
                break;
            }
            let filter = LogFilter::for_hosts(&self.hosts[first_host..]);
            block_logs = self
                .fetch_logs(block.number, block.number, &filter)
                .await?
                .into_iter()
                .map(Arc::new)
                .collect();
            let call_filter = CallFilter::for_hosts(&self.hosts[first_host..]);
            block_calls = self
                .fetch_calls(block.number, block.number, &call_filter)
                .await?;
        }
        let (file_entities, done_data_sources) = self.run_file_sources(block, &mut created).await?;
        let modifications = state.cache.into_modifications()?;
        let poi = self.finish_poi(poi);
        self.store.transact_block_deferred(
            ptr,
            block.timestamp,
            BlockWrite {
                modifications,
                data_sources: created,
                failure: non_fatal_failure,
                poi: poi.clone(),
                file_entities,
                done_data_sources: done_data_sources.clone(),
            },
        )?;
        self.poi_digests.extend(poi);
        for region in done_data_sources {
            self.files.done(region, block.number);
        }
        Ok(BlockOutcome::Committed)
    }

    /// Whether `template` is a file (`file/ipfs`, `file/arweave`) template of the manifest.
    fn is_file_template(&self, template: &str) -> bool {
        self.manifest
            .template(template)
            .is_some_and(|t| t.is_file())
    }

    /// Gives a file data source created at `block` its causality region and starts fetching its
    /// file; returns it for the block's write. A `file/ipfs` one whose param is not an IPFS path
    /// is dropped with a warning (graph-node ignores such a creation: no data source, no region,
    /// nothing that could ever run). graph-node takes any `file/arweave` param as a
    /// transaction id, so those are all created (one that names nothing on the gateway waits
    /// forever; one that is not `<txid>[/<path>]` is never fetched).
    fn add_file_source(
        &mut self,
        mut ds: StoredDataSource,
        block: u64,
    ) -> Option<StoredDataSource> {
        let path = ds.params.first().map_or("", String::as_str);
        let source = self
            .manifest
            .template(&ds.template)
            .and_then(|t| t.file_source());
        if source == Some(sprig_manifest::FileSource::Ipfs) {
            if let Err(e) = sprig_ipfs::check_path(path) {
                tracing::warn!(
                    block,
                    "file data source `{path}` of template `{}` ignored: {e}",
                    ds.template
                );
                return None;
            }
        }
        ds.causality_region = self.files.next_region();
        self.files.add(ds.clone());
        Some(ds)
    }

    /// Runs the handlers of the file data sources whose files have arrived, after the block's
    /// onchain triggers (graph-node's order), each against an empty store: their entities (to
    /// be inserted under their causality regions) and the regions done. The file data sources
    /// they create (as graph-node, a file handler may create file data sources, never onchain
    /// ones) are appended to `created`. Their writes stay out of the proof of indexing, as in
    /// graph-node, and every error is non-deterministic there too (the block is retried).
    async fn run_file_sources(
        &mut self,
        block: &Arc<Block>,
        created: &mut Vec<StoredDataSource>,
    ) -> Result<(
        Vec<(i64, sprig_value::EntityKey, sprig_value::Entity)>,
        Vec<i64>,
    )> {
        let mut entities = Vec::new();
        let mut done = Vec::new();
        // Its own handle: the loop adds the file data sources the handlers create to `self`.
        let manifest = self.manifest.clone();
        for (source, content) in self.files.ready() {
            let region = source.causality_region;
            let template = manifest.template(&source.template).ok_or_else(|| {
                anyhow!(
                    "the store has a data source of template `{}`, which the manifest does not \
                     define",
                    source.template
                )
            })?;
            let sprig_manifest::TemplateKind::File { handler, .. } = &template.kind else {
                bail!(
                    "data source template `{}` is not a file template",
                    template.name
                );
            };
            let path = source.params.first().cloned().unwrap_or_default();
            let describe = || {
                format!(
                    "handler `{handler}` of file data source `{}` ({path}) at block {}",
                    template.name, block.number
                )
            };
            let reader: Arc<dyn EntityReader> = Arc::new(NoEntities);
            let ctx = HandlerContext {
                handler: handler.clone(),
                block: block.ptr(),
                block_timestamp: block.timestamp,
                data_source: DataSourceInfo {
                    name: template.name.clone(),
                    network: template.network.clone(),
                    address: Some(path.as_bytes().to_vec()),
                    context: source.context.clone(),
                    templates: self.template_names.clone(),
                    abis: template.mapping.abis.clone(),
                },
                state: BlockState::offchain(EntityCache::new(reader, self.manifest.schema.clone())),
                chain: Arc::new(NoChain),
                schema: self.manifest.schema.clone(),
            };
            let trigger = MappingTrigger::File {
                content,
                block: block.clone(),
            };
            let result = self.modules[&template.mapping.file].run(trigger, ctx).await;
            self.progress.handler_calls += 1;
            self.metrics.record_handler(
                &template.name,
                handler,
                result.gas_used,
                result.outcome.is_err(),
            );
            if let Err(e) = result.outcome {
                let e = match e {
                    MappingError::Deterministic(e) | MappingError::NonDeterministic(e) => e,
                };
                return Err(e.context(describe()));
            }
            let state = result.state;
            if let Some(onchain) = state
                .created_data_sources
                .iter()
                .find(|ds| !self.is_file_template(&ds.template))
            {
                bail!(
                    "{}: it creates a data source of template `{}`, but a file data source's \
                     handler can only create file data sources",
                    describe(),
                    onchain.template
                );
            }
            for ds in state.created_data_sources {
                created.extend(self.add_file_source(ds, block.number));
            }
            for modification in state.cache.into_modifications()? {
                let sprig_store::EntityModification::Insert { key, data } = modification else {
                    bail!(
                        "{}: file data sources can only create entities, not remove them",
                        describe()
                    );
                };
                if !template.mapping.entities.contains(&key.entity_type) {
                    bail!(
                        "{}: it writes {key}, but the template's `entities` list only {}",
                        describe(),
                        template.mapping.entities.join(", ")
                    );
                }
                entities.push((region, key, data));
            }
            tracing::debug!(
                region,
                block = block.number,
                "file data source `{path}` processed"
            );
            done.push(region);
        }
        Ok((entities, done))
    }

    /// This block's new digest per touched region, chained to the previous digests.
    fn finish_poi(&self, poi: BlockPoi) -> Vec<(String, Vec<u8>)> {
        if poi.is_empty() {
            return Vec::new();
        }
        poi.finish(|region| self.poi_digests.get(region).cloned())
    }

    /// Fails the subgraph at this block: as graph-node, only the failure, the proof of indexing
    /// and the head are written.
    fn fail(
        &mut self,
        ptr: BlockPtr,
        timestamp: u64,
        handler: Option<String>,
        message: String,
        poi: BlockPoi,
    ) -> Result<BlockOutcome> {
        let failure = SubgraphFailure {
            block: ptr,
            handler,
            message,
            fatal: true,
        };
        self.store.transact_block(
            ptr,
            timestamp,
            BlockWrite {
                failure: Some(failure.clone()),
                poi: self.finish_poi(poi),
                ..BlockWrite::default()
            },
        )?;
        Ok(BlockOutcome::Failed(failure))
    }

    /// Makes the declared calls of `triggers` (each distinct call once, all at the same time)
    /// before their handlers run, as graph-node does, so that a handler's `ethereum.call` with
    /// the same contract and calldata is answered without a round trip. A call that reverts is
    /// kept as a revert (the handler would get the same from the node); one the node fails to
    /// answer is left out, and the handler's own call asks again and decides.
    async fn prefetch_declared_calls(&self, block: &Block, triggers: &[Trigger]) -> Prefetched {
        let mut wanted: Vec<&DeclaredEthCall> = Vec::new();
        for call in triggers.iter().flat_map(|t| &t.declared_calls) {
            if !wanted
                .iter()
                .any(|w| w.to == call.to && w.data == call.data)
            {
                wanted.push(call);
            }
        }
        let mut prefetched = Prefetched::default();
        if wanted.is_empty() {
            return prefetched;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, call) in wanted.iter().enumerate() {
            let rpc = self.rpc.clone();
            let (to, data, ptr) = (call.to, call.data.clone(), block.ptr());
            tasks.spawn(async move { (i, rpc.call(to, data, ptr).await) });
        }
        let mut reverted = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((i, outcome)) = joined else {
                continue;
            };
            let call = wanted[i];
            let result = match outcome {
                Ok(CallOutcome::Success(bytes)) => CallResult::Success(bytes),
                Ok(CallOutcome::Revert(_)) => {
                    reverted.push(call.label.as_str());
                    CallResult::Revert
                }
                Err(e) => {
                    tracing::warn!(
                        block = block.number,
                        "declared call `{}` to {} failed; the handler's own call will ask \
                         again: {e:#}",
                        call.label,
                        call.to
                    );
                    continue;
                }
            };
            prefetched.insert((call.to, call.data.clone()), result);
        }
        if !reverted.is_empty() {
            // graph-node logs these too: a call that always reverts is usually a mistake in
            // the manifest (wrong handler or arguments), costing a request per log.
            reverted.sort_unstable();
            tracing::warn!(
                block = block.number,
                "declared calls reverted: {}",
                reverted.join(", ")
            );
        }
        tracing::debug!(
            block = block.number,
            calls = wanted.len(),
            answered = prefetched.len(),
            "declared calls made"
        );
        prefetched
    }

    async fn run_trigger(
        &mut self,
        block: &Arc<Block>,
        trigger: &Trigger,
        state: BlockState,
        prefetched: &Arc<Prefetched>,
    ) -> (BlockState, Result<(), MappingError>) {
        let host = &self.hosts[trigger.host];
        let module = &self.modules[&host.mapping.file];
        let mapping_trigger = match &trigger.data {
            TriggerData::Event { log, params } => {
                let receipt = if trigger.receipt {
                    match self.rpc.receipt(log.transaction_hash).await {
                        Ok(r) => Some(Arc::new(r)),
                        Err(e) => {
                            return (
                                state,
                                Err(MappingError::NonDeterministic(
                                    e.context("fetching the transaction receipt"),
                                )),
                            )
                        }
                    }
                } else {
                    None
                };
                MappingTrigger::Event {
                    log: log.clone(),
                    params: params.clone(),
                    block: block.clone(),
                    transaction: block
                        .transaction(&log.transaction_hash)
                        .cloned()
                        .map(Arc::new),
                    receipt,
                }
            }
            TriggerData::Call {
                call,
                inputs,
                outputs,
            } => {
                // graph-node fails the block too ("Found no transaction for call"); the node
                // contradicts itself, so it is worth a retry.
                let Some(transaction) = block.transaction(&call.transaction_hash) else {
                    return (
                        state,
                        Err(MappingError::NonDeterministic(anyhow!(
                            "the block has no transaction {}, which a trace names",
                            call.transaction_hash
                        ))),
                    );
                };
                MappingTrigger::Call {
                    call: call.clone(),
                    inputs: inputs.clone(),
                    outputs: outputs.clone(),
                    block: block.clone(),
                    transaction: Arc::new(transaction.clone()),
                }
            }
            TriggerData::Block => MappingTrigger::Block {
                block: block.clone(),
            },
        };
        let ctx = HandlerContext {
            handler: trigger.handler.clone(),
            block: block.ptr(),
            block_timestamp: block.timestamp,
            data_source: DataSourceInfo {
                name: host.name.clone(),
                network: host.network.clone(),
                address: host.address.map(|a| a.to_vec()),
                context: host.context.clone(),
                templates: self.template_names.clone(),
                abis: host.mapping.abis.clone(),
            },
            state,
            chain: Arc::new(RpcCalls {
                rpc: self.rpc.clone(),
                prefetched: prefetched.clone(),
            }),
            schema: self.manifest.schema.clone(),
        };
        let result = module.run(mapping_trigger, ctx).await;
        self.progress.handler_calls += 1;
        self.metrics.record_handler(
            &host.name,
            &trigger.handler,
            result.gas_used,
            result.outcome.is_err(),
        );
        tracing::debug!(
            handler = %trigger.handler,
            block = block.number,
            gas = result.gas_used,
            "handler ran"
        );
        (result.state, result.outcome.map(|_| ()))
    }
}

/// The wait before retry number `retry` (1-based): `retry_backoff`, doubled for every retry
/// before it, at most `max_retry_backoff`.
fn retry_delay(config: &IndexerConfig, retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(31);
    config
        .retry_backoff
        .saturating_mul(1 << doublings)
        .min(config.max_retry_backoff)
}

/// What one turn of the indexing loop did.
enum Step {
    /// Caught up with the target; wait for new blocks.
    Idle,
    Range(RangeOutcome),
    /// A reorganisation was undone back to this block.
    Reverted(BlockPtr),
}

/// A chain reorganisation deeper than the configured threshold: indexing halts, since following
/// it is beyond what the store keeps and guessing would leave wrong data.
#[derive(Debug, thiserror::Error)]
#[error(
    "the chain reorganized deeper than {threshold} blocks below the indexed head {head} (no committed block within that depth is still canonical); indexing stops rather than keep data from the abandoned branch. Re-index into a new database, or raise the reorg threshold"
)]
struct ReorgTooDeep {
    head: BlockPtr,
    threshold: u64,
}

/// Context of an error met while processing a block: which block it was.
#[derive(Debug, thiserror::Error)]
#[error("block {0}")]
struct InBlock(u64);

enum RangeOutcome {
    Committed(u64),
    Failed(SubgraphFailure),
}

enum BlockOutcome {
    Committed,
    Failed(SubgraphFailure),
}

/// "handler `h` of data source `d` at block N (0x..), transaction 0x.." for error messages.
fn describe(host: &Host, trigger: &Trigger, block: &Block) -> String {
    let mut s = format!(
        "handler `{}` of data source `{}` at block {} ({})",
        trigger.handler,
        host.name,
        block.number,
        to_hex(block.hash.as_slice())
    );
    match &trigger.data {
        TriggerData::Event { log, .. } => s.push_str(&format!(
            ", transaction {}, log index {}",
            to_hex(log.transaction_hash.as_slice()),
            log.log_index
        )),
        TriggerData::Call { call, .. } => s.push_str(&format!(
            ", transaction {}, call to {}",
            to_hex(call.transaction_hash.as_slice()),
            to_hex(call.to.as_slice())
        )),
        TriggerData::Block => {}
    }
    s
}

/// The proof-of-indexing digest of every region as of the store's committed head.
fn committed_poi_digests(store: &dyn WritableStore) -> Result<HashMap<String, Vec<u8>>> {
    Ok(match store.status()?.head {
        Some(head) => store.poi_digests(head.number)?.into_iter().collect(),
        None => HashMap::new(),
    })
}

/// The proof-of-indexing event of a mapping's write.
fn poi_event(write: EntityWrite) -> PoiEvent {
    match write {
        EntityWrite::Set { key, data } => PoiEvent::SetEntity {
            entity_type: key.entity_type,
            id: key.id.to_string(),
            data,
        },
        EntityWrite::Remove { key } => PoiEvent::RemoveEntity {
            entity_type: key.entity_type,
            id: key.id.to_string(),
        },
    }
}

/// Turns a stored data source back into a running host.
fn host_from_template(manifest: &Manifest, ds: &StoredDataSource) -> Result<Host> {
    let template = manifest.template(&ds.template).ok_or_else(|| {
        anyhow!(
            "the store has a data source of template `{}`, which the manifest does not define",
            ds.template
        )
    })?;
    let address = ds
        .params
        .first()
        .ok_or_else(|| anyhow!("data source of template `{}` has no address", ds.template))?;
    let address: Address = address.parse().map_err(|e| {
        anyhow!(
            "data source of template `{}`: address `{address}`: {e}",
            ds.template
        )
    })?;
    Ok(Host {
        name: template.name.clone(),
        template: Some(template.name.clone()),
        network: template.network.clone(),
        address: Some(address),
        start_block: ds.creation_block,
        end_block: None,
        mapping: Arc::new(template.mapping.clone()),
        abi: template.abi.clone(),
        context: ds.context.clone(),
    })
}

/// The results of one block's declared calls, by contract and calldata.
type Prefetched = HashMap<(Address, Bytes), CallResult>;

/// `ethereum.call`, `ethereum.getBalance` and `ethereum.hasCode` over the RPC client; calls
/// the block's declared calls made already are answered from their results.
struct RpcCalls {
    rpc: RpcClient,
    prefetched: Arc<Prefetched>,
}

impl EthereumCalls for RpcCalls {
    fn call(
        &self,
        to: Address,
        data: Bytes,
        block: BlockPtr,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<CallResult>> + Send + '_>> {
        Box::pin(async move {
            if let Some(result) = self.prefetched.get(&(to, data.clone())) {
                tracing::trace!(%to, block = block.number, "eth_call answered by a declared call");
                return Ok(result.clone());
            }
            Ok(match self.rpc.call(to, data, block).await? {
                CallOutcome::Success(bytes) => CallResult::Success(bytes),
                CallOutcome::Revert(_) => CallResult::Revert,
            })
        })
    }

    fn get_balance(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, U256> {
        Box::pin(self.rpc.balance(address, block))
    }

    fn get_code(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, Bytes> {
        Box::pin(self.rpc.code(address, block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_maximum() {
        let delays: Vec<Duration> = (1..=9)
            .map(|retry| retry_delay(&IndexerConfig::default(), retry))
            .collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000].map(ms)
        );
        let config = IndexerConfig {
            retry_backoff: ms(20),
            max_retry_backoff: ms(50),
            ..IndexerConfig::default()
        };
        assert_eq!(
            [1, 2, 3, 100, u32::MAX].map(|retry| retry_delay(&config, retry)),
            [20, 40, 50, 50, 50].map(ms)
        );
    }
}
