//! JSON-RPC client for Ethereum nodes (alloy's HTTP provider).
//!
//! [`RpcClient`] fetches what indexing needs: blocks with full transactions, logs and traces
//! (`trace_filter`) over block ranges, receipts, and `eth_call`, `eth_getBalance` and
//! `eth_getCode` at a block. Where the answer ends up in mappings it follows
//! graph-node (`shared/docs/reference/graph-node-indexing.md` §7.4–7.5): which `eth_call` errors
//! are reverts, calls at the block hash with 50M gas, the effective gas price, a zero
//! `totalDifficulty` when the node leaves it out.
//!
//! Errors: every method returns an [`anyhow::Error`] whose root is an [`RpcError`]
//! (`err.downcast_ref::<RpcError>()`), which tells an unreachable node from one that answered
//! badly. All of them are non-deterministic; a revert is a result, [`CallOutcome::Revert`].
//!
//! Retries: transport failures (connection refused or reset, timeouts, HTTP 5xx and 429,
//! JSON-RPC rate-limit answers) are retried with exponential backoff, at most
//! [`RpcConfig::max_retries`] times, each logged with `tracing::warn!`. Other JSON-RPC error
//! answers are not retried: they are the node's answer, and retrying a revert would turn a
//! deterministic result into a failure.
//!
//! Speed: one pooled HTTP/1.1 connection set per client (clones share it), responses decoded
//! once from the response text straight into Sprig's types (see `wire`), and many blocks fetched
//! concurrently on separate tasks so that decoding big blocks uses all cores.

mod error;
mod wire;

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::transports::http::reqwest::{self, Url};
use anyhow::Result;
use serde::{Serialize, Serializer};
use sprig_value::BlockPtr;
use tokio::task::JoinSet;

use crate::types::{Block, Log, Receipt, Trace};
pub use error::RpcError;
use error::{Failure, RequestContext};
use wire::{WireBlock, WireBlockTxHashes, WireLog, WireReceipt, WireTrace};

/// Settings of an [`RpcClient`]. The defaults suit a remote provider; tests shorten the backoff.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// How often a request is retried after a transport failure before the node counts as
    /// unreachable. graph-node: `GRAPH_ETHEREUM_REQUEST_RETRIES` = 10.
    pub max_retries: u32,
    /// Delay before the first retry; it doubles with every further retry, up to `max_backoff`,
    /// and is shortened by a random 0–25% so that concurrent requests don't retry in lockstep.
    pub initial_backoff: Duration,
    /// Longest delay between two attempts (a server's `Retry-After` may ask for more, up to a
    /// minute).
    pub max_backoff: Duration,
    /// Time limit of one HTTP request, answer included. graph-node:
    /// `GRAPH_ETHEREUM_JSON_RPC_TIMEOUT` = 180 s; large `eth_getLogs` answers take long.
    pub request_timeout: Duration,
    /// Requests in flight at once when fetching many blocks or receipts.
    pub concurrency: usize,
    /// Addresses per `eth_getLogs` request; more are split over several requests.
    /// graph-node: `GRAPH_ETH_GET_LOGS_MAX_CONTRACTS` = 2000.
    pub max_log_addresses: usize,
    /// Blocks per `trace_filter` request; a longer range is split. graph-node:
    /// `ETHEREUM_TRACE_STREAM_STEP_SIZE` = 50 (traces are far larger than logs).
    pub max_trace_range: u64,
    /// Gas limit of `eth_call`; `None` leaves it to the node (graph-node does that for the chains
    /// in `GRAPH_ETH_CALL_NO_GAS`, Arbitrum testnets). The default 50,000,000 is protocol-wide:
    /// a different value can change which calls run out of gas.
    pub call_gas: Option<u64>,
    /// Call at the block's hash (EIP-1898), so that a reorg makes the call fail instead of
    /// silently running against another block. `false` calls at the number, for nodes without
    /// EIP-1898 (graph-node's `no_eip1898` provider setting).
    pub call_at_block_hash: bool,
}

impl Default for RpcConfig {
    fn default() -> Self {
        // Backoff 0.3 s doubling to 12 s: ten retries wait about one minute in total.
        Self {
            max_retries: 10,
            initial_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(12),
            request_timeout: Duration::from_secs(180),
            concurrency: 16,
            max_log_addresses: 2000,
            max_trace_range: 50,
            call_gas: Some(50_000_000),
            call_at_block_hash: true,
        }
    }
}

/// What an `eth_call` produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The call returned this (non-empty) output.
    Success(Bytes),
    /// The call reverted or otherwise failed inside the EVM, or returned nothing (`0x`, as a
    /// call to an address without code does). Carries the node's message, e.g.
    /// `execution reverted: Ownable: caller is not the owner`.
    Revert(String),
}

/// A client for one Ethereum node's JSON-RPC endpoint over HTTP.
///
/// Cheap to clone: clones share the connection pool and settings.
#[derive(Clone)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

struct Inner {
    provider: RootProvider,
    /// The endpoint with what looks like an API key masked, for messages and logs.
    url: Arc<str>,
    config: RpcConfig,
    /// Set once the node answered that it has no `eth_getBlockReceipts`.
    lacks_block_receipts: AtomicBool,
}

/// Upper bound on a server-requested `Retry-After` delay, so that a confused server can't stall
/// indexing for hours.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("url", &self.inner.url)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl RpcClient {
    /// A client for the node at `url` with default settings. Checks the URL but does not contact
    /// the node: the first request does.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, RpcConfig::default())
    }

    /// A client for the node at `url` with the given settings.
    pub fn connect_with(url: &str, config: RpcConfig) -> Result<Self> {
        let invalid = |reason: String| RpcError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        if !url.contains("://") {
            return Err(invalid(format!("no scheme; did you mean `http://{url}`?")).into());
        }
        let parsed: Url = url.trim().parse().map_err(|e| invalid(format!("{e}")))?;
        match parsed.scheme() {
            "http" | "https" => {}
            other => {
                return Err(invalid(format!(
                    "scheme `{other}` is not supported; use an http:// or https:// URL"
                ))
                .into())
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host".to_owned()).into());
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            // Keep enough idle connections for a full window of concurrent requests, so that
            // `blocks` doesn't reconnect every round.
            .pool_max_idle_per_host(config.concurrency.max(1) * 2)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| invalid(format!("could not set up the HTTP client: {e}")))?;
        let display_url: Arc<str> = redact(&parsed).into();
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_reqwest(http, parsed);
        Ok(Self {
            inner: Arc::new(Inner {
                provider,
                url: display_url,
                config,
                lacks_block_receipts: AtomicBool::new(false),
            }),
        })
    }

    /// The endpoint, with path segments and query strings that look like API keys masked.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The settings this client was created with.
    pub fn config(&self) -> &RpcConfig {
        &self.inner.config
    }

    /// The underlying alloy provider, for requests this client does not wrap. They get none of
    /// this client's retries.
    pub fn provider(&self) -> &RootProvider {
        &self.inner.provider
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64> {
        let id: U64 = self
            .request("eth_chainId", (), error::no_final_answers)
            .await?;
        Ok(id.to())
    }

    /// `eth_blockNumber`: the number of the node's latest block.
    pub async fn latest_block_number(&self) -> Result<u64> {
        let number: U64 = self
            .request("eth_blockNumber", (), error::no_final_answers)
            .await?;
        Ok(number.to())
    }

    /// The canonical block at `number` with its transactions. Fails with
    /// [`RpcError::NotFound`] if the node has no such block yet.
    pub async fn block_by_number(&self, number: u64) -> Result<Block> {
        Ok(self.fetch_block_by_number(number).await?)
    }

    /// The hash of the canonical block at `number` (header only: no transactions are sent).
    /// Fails with [`RpcError::NotFound`] if the node has no such block.
    pub async fn block_hash(&self, number: u64) -> Result<B256> {
        #[derive(Debug, serde::Deserialize)]
        struct Header {
            number: U64,
            hash: B256,
        }
        let header: Option<Header> = self
            .request(
                "eth_getBlockByNumber",
                (U64::from(number), false),
                error::no_final_answers,
            )
            .await?;
        let header = header.ok_or_else(|| self.not_found(format!("block #{number}")))?;
        if header.number.to::<u64>() != number {
            return Err(self
                .bad_response(
                    "eth_getBlockByNumber",
                    format!("asked for block #{number}, got #{}", header.number),
                )
                .into());
        }
        Ok(header.hash)
    }

    /// The block with this hash (canonical or not, if the node still has it).
    pub async fn block_by_hash(&self, hash: B256) -> Result<Block> {
        let block: Option<WireBlock> = self
            .request("eth_getBlockByHash", (hash, true), error::no_final_answers)
            .await?;
        let block = block.ok_or_else(|| self.not_found(format!("block {hash}")))?;
        if block.hash() != hash {
            return Err(self
                .bad_response(
                    "eth_getBlockByHash",
                    format!("asked for block {hash}, got {}", block.hash()),
                )
                .into());
        }
        Ok(block.into_block())
    }

    /// The blocks in `range`, in order, fetched concurrently ([`RpcConfig::concurrency`]
    /// requests in flight). This is the hot path of subgraphs with block handlers.
    pub async fn blocks(&self, range: RangeInclusive<u64>) -> Result<Vec<Block>> {
        let numbers: Vec<u64> = range.collect();
        self.blocks_by_number(&numbers).await
    }

    /// The blocks with these numbers, in the order given, fetched concurrently.
    pub async fn blocks_by_number(&self, numbers: &[u64]) -> Result<Vec<Block>> {
        Ok(self
            .fetch_all(numbers.to_vec(), |client, number| async move {
                client.fetch_block_by_number(number).await
            })
            .await?)
    }

    /// The logs in `range` emitted by any of `addresses` with any of `topic0s` as first topic,
    /// sorted by block number and log index. An empty `addresses` matches every contract, an
    /// empty `topic0s` every event.
    ///
    /// When the node refuses a range as too large (Infura's -32005 "query returned more than
    /// 10000 results", Alchemy's "Log response size exceeded", other providers' block range
    /// limits), the range is halved until it is accepted, and the rest of the range is fetched
    /// in pieces of the accepted size.
    ///
    /// Keep `range` at or below [`latest_block_number`](Self::latest_block_number): nodes
    /// answer a range past their head with the logs they have, without saying so.
    pub async fn logs(
        &self,
        range: RangeInclusive<u64>,
        addresses: &[Address],
        topic0s: &[B256],
    ) -> Result<Vec<Log>> {
        let (from, to) = (*range.start(), *range.end());
        let mut logs = Vec::new();
        if from > to {
            return Ok(logs);
        }
        if addresses.is_empty() {
            self.logs_in_range(from, to, &[], topic0s, &mut logs)
                .await?;
        } else {
            for chunk in addresses.chunks(self.inner.config.max_log_addresses.max(1)) {
                self.logs_in_range(from, to, chunk, topic0s, &mut logs)
                    .await?;
            }
        }
        // Nodes answer in order, so this is a linear pass over sorted runs unless the addresses
        // were split over several requests.
        logs.sort_unstable_by_key(|log| (log.block_number, log.log_index));
        Ok(logs)
    }

    /// The Parity-style traces (`trace_filter`) in `range` of actions sent to any of
    /// `to_addresses` (every action if empty), sorted by block, transaction position and trace
    /// address, which is the order they ran in.
    ///
    /// The range is asked for in pieces of [`RpcConfig::max_trace_range`] blocks and the
    /// addresses in chunks of [`RpcConfig::max_log_addresses`]. Keep `range` at or below the
    /// chain head, as for [`logs`](Self::logs).
    pub async fn traces(
        &self,
        range: RangeInclusive<u64>,
        to_addresses: &[Address],
    ) -> Result<Vec<Trace>> {
        const METHOD: &str = "trace_filter";
        let (from, to) = (*range.start(), *range.end());
        let config = &self.inner.config;
        let step = config.max_trace_range.max(1);
        let chunks: Vec<&[Address]> = if to_addresses.is_empty() {
            vec![&[]]
        } else {
            to_addresses
                .chunks(config.max_log_addresses.max(1))
                .collect()
        };
        let mut traces = Vec::new();
        let mut start = from;
        while start <= to {
            let end = start.saturating_add(step - 1).min(to);
            for addresses in &chunks {
                let filter = TraceFilter {
                    from_block: U64::from(start),
                    to_block: U64::from(end),
                    to_address: addresses,
                };
                let answer: Vec<WireTrace> = self
                    .request(METHOD, (filter,), error::no_final_answers)
                    .await?;
                traces.reserve(answer.len());
                for trace in answer {
                    let trace = trace.into_trace().map_err(|field| {
                        self.bad_response(METHOD, format!("a trace has no {field}"))
                    })?;
                    if !(start..=end).contains(&trace.block_number) {
                        return Err(self
                            .bad_response(
                                METHOD,
                                format!(
                                    "asked for blocks {start}..={end}, got a trace of block #{}",
                                    trace.block_number
                                ),
                            )
                            .into());
                    }
                    traces.push(trace);
                }
            }
            if end == u64::MAX {
                break;
            }
            start = end + 1;
        }
        // Already in order unless the addresses were split over several requests; a stable sort
        // keeps the node's order within one trace address (there is only one per action).
        traces.sort_by(|a, b| {
            (a.block_number, a.transaction_position, &a.trace_address).cmp(&(
                b.block_number,
                b.transaction_position,
                &b.trace_address,
            ))
        });
        Ok(traces)
    }

    /// The receipt of the transaction with this hash. Fails with [`RpcError::NotFound`] if the
    /// transaction is not mined (or was reorganized away).
    pub async fn receipt(&self, tx_hash: B256) -> Result<Receipt> {
        Ok(self.fetch_receipt(tx_hash).await?)
    }

    /// The receipts of all transactions in `block`, in block order: one `eth_getBlockReceipts`
    /// (by hash) if the node has it, else one `eth_getTransactionReceipt` per transaction.
    /// Fails if a receipt belongs to another block (the chain reorganized meanwhile).
    pub async fn block_receipts(&self, block: BlockPtr) -> Result<Vec<Receipt>> {
        let hash = B256::from(block.hash);
        if !self.inner.lacks_block_receipts.load(Ordering::Relaxed) {
            match self.fetch_block_receipts(hash).await {
                Ok(receipts) => return Ok(receipts),
                Err(RpcError::Rpc { code, message, .. })
                    if error::is_method_unsupported(code, &message) =>
                {
                    tracing::info!(
                        url = %self.inner.url,
                        "the node has no eth_getBlockReceipts ({message}); \
                         fetching receipts one transaction at a time"
                    );
                    self.inner
                        .lacks_block_receipts
                        .store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.block_receipts_one_by_one(block).await?)
    }

    /// `eth_call` of `data` on `to` at `block` (by hash unless configured otherwise), with
    /// [`RpcConfig::call_gas`]. An error answer that means the EVM stopped the call (revert,
    /// invalid opcode or jump, out of gas, stack errors) and an empty output are
    /// [`CallOutcome::Revert`]; any other failure is an error.
    pub async fn call(&self, to: Address, data: Bytes, block: BlockPtr) -> Result<CallOutcome> {
        let config = &self.inner.config;
        let request = CallRequest {
            to,
            data: &data,
            gas: config.call_gas.map(U64::from),
        };
        let at = self.block_param(block);
        match self
            .request::<_, Bytes>("eth_call", (request, at), error::is_revert)
            .await
        {
            Ok(output) if output.is_empty() => Ok(CallOutcome::Revert("empty result".to_owned())),
            Ok(output) => Ok(CallOutcome::Success(output)),
            Err(RpcError::Rpc {
                code,
                message,
                data,
                ..
            }) if error::is_revert(code, &message, data.as_deref()) => {
                Ok(CallOutcome::Revert(message))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `eth_getBalance`: the wei balance of `address` at `block` (by hash unless configured
    /// otherwise, like [`call`](Self::call), so that a reorg makes it fail rather than answer
    /// for another block).
    pub async fn balance(&self, address: Address, block: BlockPtr) -> Result<U256> {
        Ok(self
            .request(
                "eth_getBalance",
                (address, self.block_param(block)),
                error::no_final_answers,
            )
            .await?)
    }

    /// `eth_getCode`: the code deployed at `address` as of `block` (empty for an account
    /// without code), by hash unless configured otherwise, like [`call`](Self::call).
    pub async fn code(&self, address: Address, block: BlockPtr) -> Result<Bytes> {
        Ok(self
            .request(
                "eth_getCode",
                (address, self.block_param(block)),
                error::no_final_answers,
            )
            .await?)
    }

    /// How state queries (`eth_call`, `eth_getBalance`, `eth_getCode`) name their block.
    fn block_param(&self, block: BlockPtr) -> CallBlock {
        if self.inner.config.call_at_block_hash {
            CallBlock::Hash {
                block_hash: B256::from(block.hash),
            }
        } else {
            CallBlock::Number(U64::from(block.number))
        }
    }

    async fn fetch_block_by_number(&self, number: u64) -> Result<Block, RpcError> {
        let block: Option<WireBlock> = self
            .request(
                "eth_getBlockByNumber",
                (U64::from(number), true),
                error::no_final_answers,
            )
            .await?;
        let block = block.ok_or_else(|| self.not_found(format!("block #{number}")))?;
        if block.number() != number {
            return Err(self.bad_response(
                "eth_getBlockByNumber",
                format!("asked for block #{number}, got #{}", block.number()),
            ));
        }
        Ok(block.into_block())
    }

    /// Fetches the logs of `[from, to]` into `out`, shrinking the step while the node says
    /// the range is too large.
    async fn logs_in_range(
        &self,
        from: u64,
        to: u64,
        addresses: &[Address],
        topic0s: &[B256],
        out: &mut Vec<Log>,
    ) -> Result<(), RpcError> {
        let mut step = (to - from).saturating_add(1);
        let mut start = from;
        loop {
            let end = start.saturating_add(step - 1).min(to);
            let filter = LogFilter {
                from_block: U64::from(start),
                to_block: U64::from(end),
                address: addresses,
                topics: topic0s,
            };
            match self
                .request::<_, Vec<WireLog>>("eth_getLogs", (filter,), error::is_log_range_too_large)
                .await
            {
                Ok(logs) => {
                    out.reserve(logs.len());
                    for log in logs {
                        let log = log.into_log().map_err(|field| {
                            self.bad_response("eth_getLogs", format!("a log has no {field}"))
                        })?;
                        if !(start..=end).contains(&log.block_number) {
                            return Err(self.bad_response(
                                "eth_getLogs",
                                format!(
                                    "asked for blocks {start}..={end}, got a log of block #{}",
                                    log.block_number
                                ),
                            ));
                        }
                        out.push(log);
                    }
                    if end == to {
                        return Ok(());
                    }
                    start = end + 1;
                }
                Err(RpcError::Rpc {
                    code,
                    ref message,
                    ref data,
                    ..
                }) if end > start
                    && error::is_log_range_too_large(code, message, data.as_deref()) =>
                {
                    step = (end - start + 1).div_ceil(2);
                    tracing::debug!(
                        url = %self.inner.url,
                        "eth_getLogs for blocks {start}..={end} too large ({message}); \
                         retrying with {step} blocks per request"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn fetch_receipt(&self, tx_hash: B256) -> Result<Receipt, RpcError> {
        let receipt: Option<WireReceipt> = self
            .request(
                "eth_getTransactionReceipt",
                (tx_hash,),
                error::no_final_answers,
            )
            .await?;
        let receipt = receipt
            .ok_or_else(|| self.not_found(format!("a receipt for transaction {tx_hash}")))?
            .into_receipt()
            .map_err(|field| {
                self.bad_response(
                    "eth_getTransactionReceipt",
                    format!("a log of the receipt has no {field}"),
                )
            })?;
        if receipt.transaction_hash != tx_hash {
            return Err(self.bad_response(
                "eth_getTransactionReceipt",
                format!(
                    "asked for the receipt of {tx_hash}, got that of {}",
                    receipt.transaction_hash
                ),
            ));
        }
        Ok(receipt)
    }

    async fn fetch_block_receipts(&self, hash: B256) -> Result<Vec<Receipt>, RpcError> {
        const METHOD: &str = "eth_getBlockReceipts";
        let receipts: Option<Vec<WireReceipt>> = self
            .request(METHOD, (hash,), error::no_final_answers)
            .await?;
        let receipts = receipts.ok_or_else(|| self.not_found(format!("block {hash}")))?;
        receipts
            .into_iter()
            .map(|receipt| {
                let receipt = receipt.into_receipt().map_err(|field| {
                    self.bad_response(METHOD, format!("a log of a receipt has no {field}"))
                })?;
                self.check_receipt_block(METHOD, &receipt, hash)?;
                Ok(receipt)
            })
            .collect()
    }

    async fn block_receipts_one_by_one(&self, block: BlockPtr) -> Result<Vec<Receipt>, RpcError> {
        let hash = B256::from(block.hash);
        let txs: Option<WireBlockTxHashes> = self
            .request("eth_getBlockByHash", (hash, false), error::no_final_answers)
            .await?;
        let txs = txs.ok_or_else(|| self.not_found(format!("block {hash}")))?;
        let receipts = self
            .fetch_all(txs.transactions, |client, tx| async move {
                client.fetch_receipt(tx).await
            })
            .await?;
        for receipt in &receipts {
            self.check_receipt_block("eth_getTransactionReceipt", receipt, hash)?;
        }
        Ok(receipts)
    }

    fn check_receipt_block(
        &self,
        method: &'static str,
        receipt: &Receipt,
        block: B256,
    ) -> Result<(), RpcError> {
        if receipt.block_hash == block {
            return Ok(());
        }
        Err(self.bad_response(
            method,
            format!(
                "the receipt of transaction {} belongs to block {}, not {block}; \
                 the chain reorganized while fetching",
                receipt.transaction_hash, receipt.block_hash
            ),
        ))
    }

    /// Runs `fetch` for every item with at most [`RpcConfig::concurrency`] in flight and
    /// returns the results in item order. Each request runs on its own task so that decoding
    /// large answers spreads over the runtime's threads. The first error cancels the rest.
    async fn fetch_all<I, T, F, Fut>(&self, items: Vec<I>, fetch: F) -> Result<Vec<T>, RpcError>
    where
        I: Send + 'static,
        T: Send + 'static,
        F: Fn(RpcClient, I) -> Fut,
        Fut: Future<Output = Result<T, RpcError>> + Send + 'static,
    {
        let mut results: Vec<Option<T>> =
            std::iter::repeat_with(|| None).take(items.len()).collect();
        let limit = self.inner.config.concurrency.max(1);
        let mut pending = items.into_iter().enumerate();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < limit {
                let Some((index, item)) = pending.next() else {
                    break;
                };
                let fetching = fetch(self.clone(), item);
                tasks.spawn(async move { (index, fetching.await) });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            match joined {
                Ok((index, result)) => results[index] = Some(result?),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Only happens when the runtime shuts down under us.
                Err(e) => {
                    return Err(RpcError::Unreachable {
                        url: self.inner.url.clone(),
                        method: "a concurrent request",
                        attempts: 1,
                        cause: e.to_string(),
                    })
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|result| result.expect("every task reported its result"))
            .collect())
    }

    /// Sends one JSON-RPC request, retrying transport failures with backoff.
    ///
    /// `is_final_answer` marks error answers the caller interprets itself; they are returned at
    /// once even if they look like rate limiting.
    async fn request<P, R>(
        &self,
        method: &'static str,
        params: P,
        is_final_answer: fn(i64, &str, Option<&str>) -> bool,
    ) -> Result<R, RpcError>
    where
        // alloy's `RpcSend` and `RpcRecv`, spelled out because alloy only exports those names
        // with its `json-rpc` feature.
        P: Serialize + Clone + fmt::Debug + Send + Sync + Unpin,
        R: serde::de::DeserializeOwned + fmt::Debug + Send + Sync + Unpin + 'static,
    {
        let config = &self.inner.config;
        let mut retries = 0;
        loop {
            let answer = self
                .inner
                .provider
                .client()
                .request::<P, R>(method, params.clone())
                .await;
            let err = match answer {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            let context = RequestContext {
                url: &self.inner.url,
                method,
            };
            match error::classify(err, &context, is_final_answer) {
                Failure::Final(err) => return Err(err),
                Failure::Transient { cause, retry_after } => {
                    if retries >= config.max_retries {
                        return Err(RpcError::Unreachable {
                            url: self.inner.url.clone(),
                            method,
                            attempts: retries + 1,
                            cause,
                        });
                    }
                    retries += 1;
                    let delay = backoff(config, retries, retry_after);
                    tracing::warn!(
                        url = %self.inner.url,
                        "{method} failed: {cause}; retry {retries}/{} in {delay:.1?}",
                        config.max_retries
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    fn not_found(&self, what: String) -> RpcError {
        RpcError::NotFound {
            url: self.inner.url.clone(),
            what,
        }
    }

    fn bad_response(&self, method: &'static str, reason: String) -> RpcError {
        RpcError::BadResponse {
            url: self.inner.url.clone(),
            method,
            reason,
        }
    }
}

/// The delay before retry number `retry` (1-based): exponential, capped, jittered, and at least
/// what the server asked for.
fn backoff(config: &RpcConfig, retry: u32, retry_after: Option<Duration>) -> Duration {
    let exponential = config
        .initial_backoff
        .saturating_mul(1u32 << (retry - 1).min(20));
    let capped = exponential.min(config.max_backoff);
    // Random 0.75–1.0 factor; std's RandomState is randomly keyed per instance, which is all
    // the randomness jitter needs.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let jittered = capped.mul_f64(0.75 + 0.25 * (random as f64 / u64::MAX as f64));
    match retry_after {
        Some(asked) => jittered.max(asked.min(MAX_RETRY_AFTER)),
        None => jittered,
    }
}

/// `scheme://host:port/path` with path segments that look like API keys (long runs of letters
/// and digits, as Infura and Alchemy put in the path) and the query string masked, so that
/// errors and logs can name the endpoint without leaking its key.
fn redact(url: &Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    for segment in url.path_segments().into_iter().flatten() {
        if segment.is_empty() {
            continue;
        }
        out.push('/');
        let looks_like_key = segment.len() >= 20
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        out.push_str(if looks_like_key { "***" } else { segment });
    }
    if url.query().is_some() {
        out.push_str("?***");
    }
    out
}

/// `eth_getLogs` filter. An empty address list or topic list is left out, which the node reads
/// as "any".
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogFilter<'a> {
    from_block: U64,
    to_block: U64,
    #[serde(skip_serializing_if = "<[Address]>::is_empty")]
    address: &'a [Address],
    #[serde(
        skip_serializing_if = "<[B256]>::is_empty",
        serialize_with = "serialize_topic0s"
    )]
    topics: &'a [B256],
}

/// Topic filters are positional: `[[t0a, t0b]]` means "topic 0 is t0a or t0b".
fn serialize_topic0s<S: Serializer>(topic0s: &&[B256], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(std::iter::once(topic0s))
}

/// `trace_filter` parameters. Block numbers are hex quantities (anvil refuses tags such as
/// `latest` here); an empty address list is left out, which means every action.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceFilter<'a> {
    from_block: U64,
    to_block: U64,
    #[serde(skip_serializing_if = "<[Address]>::is_empty")]
    to_address: &'a [Address],
}

/// The transaction object of `eth_call`.
#[derive(Clone, Debug, Serialize)]
struct CallRequest<'a> {
    to: Address,
    data: &'a Bytes,
    #[serde(skip_serializing_if = "Option::is_none")]
    gas: Option<U64>,
}

/// The block parameter of `eth_call`, `eth_getBalance` and `eth_getCode`: an EIP-1898 object or
/// a number.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
enum CallBlock {
    Hash {
        #[serde(rename = "blockHash")]
        block_hash: B256,
    },
    Number(U64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_rejects_unusable_urls() {
        for (url, expected) in [
            ("not a url", "invalid Ethereum RPC URL `not a url`"),
            ("localhost:8545", "did you mean `http://localhost:8545`?"),
            ("http://", "empty host"),
            ("ws://127.0.0.1:8545", "scheme `ws` is not supported"),
        ] {
            let err = RpcClient::connect(url).unwrap_err().to_string();
            assert!(err.contains(expected), "{url}: {err}");
        }
        assert!(RpcClient::connect("http://127.0.0.1:8545").is_ok());
        assert!(RpcClient::connect("https://mainnet.example/v3/key").is_ok());
    }

    #[test]
    fn urls_are_shown_without_api_keys() {
        let show = |s: &str| redact(&s.parse().unwrap());
        assert_eq!(show("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            show("http://node:8545/eth/mainnet"),
            "http://node:8545/eth/mainnet"
        );
        assert_eq!(
            show("http://eth.example/v2/aBcD1234eFgH5678iJkL9012"),
            "http://eth.example/v2/***"
        );
        assert_eq!(
            show("http://eth.example/?apikey=secret"),
            "http://eth.example?***"
        );
    }

    #[test]
    fn log_filter_leaves_out_empty_lists() {
        let topic = B256::repeat_byte(1);
        let json = |addresses: &[Address], topics: &[B256]| {
            serde_json::to_string(&LogFilter {
                from_block: U64::from(1),
                to_block: U64::from(16),
                address: addresses,
                topics,
            })
            .unwrap()
        };
        assert_eq!(json(&[], &[]), r#"{"fromBlock":"0x1","toBlock":"0x10"}"#);
        assert_eq!(
            json(&[Address::ZERO], &[topic]),
            format!(
                r#"{{"fromBlock":"0x1","toBlock":"0x10","address":["{}"],"topics":[["{topic}"]]}}"#,
                Address::ZERO
            )
        );
    }

    #[test]
    fn call_block_is_eip1898() {
        let at = CallBlock::Hash {
            block_hash: B256::ZERO,
        };
        assert_eq!(
            serde_json::to_string(&at).unwrap(),
            format!(r#"{{"blockHash":"{}"}}"#, B256::ZERO)
        );
        assert_eq!(
            serde_json::to_string(&CallBlock::Number(U64::from(10))).unwrap(),
            r#""0xa""#
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let config = RpcConfig::default();
        let first = backoff(&config, 1, None);
        assert!(first <= config.initial_backoff && first >= config.initial_backoff * 3 / 4);
        let late = backoff(&config, 30, None);
        assert!(late <= config.max_backoff && late >= config.max_backoff * 3 / 4);
        let asked = backoff(&config, 1, Some(Duration::from_secs(5)));
        assert_eq!(asked, Duration::from_secs(5));
        let too_long = backoff(&config, 1, Some(Duration::from_secs(3600)));
        assert_eq!(too_long, MAX_RETRY_AFTER);
        let total: Duration = (1..=config.max_retries)
            .map(|retry| backoff(&config, retry, None))
            .sum();
        assert!(
            total > Duration::from_secs(40) && total < Duration::from_secs(70),
            "{total:?}"
        );
    }
}
