//! `ipfs.cat`, `ipfs.getBlock` and `ipfs.map`: files and blocks from the IPFS gateway the runtime
//! was given ([`MappingRuntime::with_ipfs`](crate::MappingRuntime::with_ipfs)), verified against
//! their CIDs by `sprig-ipfs`.
//!
//! graph-node (with IPFS enabled) returns `null` for every failure, so whether a slow gateway
//! made a mapping see `null` depended on the machine. Here only what the content itself decides
//! is `null` (an invalid CID or path, a file over the size limit, a DAG that is not a file), the
//! same everywhere; a gateway that fails, times out, lacks the file or sends wrong bytes is a
//! non-deterministic error, so the block is retried and nothing is recorded. The handler's clock
//! is paused while waiting, as for `ethereum.call`.
//!
//! `ipfs.map` runs an exported callback on each JSON value of a newline-delimited JSON file, each
//! in a fresh instance of the module with an empty block state, and merges the callbacks' writes
//! and created data sources into the calling handler's, as graph-node does. Where graph-node
//! makes every failure of `ipfs.map` non-deterministic, here what the file and the mapping
//! decide is deterministic (wrong flags, an invalid path, a file over the limit, a line that is
//! not JSON, a callback that fails deterministically) and only the gateway's failures and a
//! callback's own non-deterministic failures are not.
//!
//! Gas: graph-node charges nothing for `ipfs.map` and gives each callback a gas counter of its
//! own, so a handler's gas limit does not bound what its `ipfs.map` does. Here the whole of it is
//! the calling handler's: the file is charged as parsed text, and each callback runs on the fuel
//! the handler has left and uses it up (its `_start`, the writing of its arguments and its
//! code), so running out in a callback is the handler running out, deterministically. The
//! wall-clock timeout pauses only for the fetch: callbacks are the mapping's own time.

use std::sync::Arc;

use sprig_ipfs::{IpfsClient, IpfsError};
use sprig_value::Value;
use wasmtime::{AsContextMut, Caller, StoreContextMut};

use super::HostFuture;
use crate::asc::{write_value_opt, Reader};
use crate::context::HandlerContext;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::module::CallbackResult;
use crate::state::HostState;

/// The gateway and limits mappings read IPFS through.
#[derive(Clone, Debug)]
pub struct IpfsSettings {
    /// The verifying client of the gateway.
    pub client: IpfsClient,
    /// Largest file `ipfs.cat` returns (graph-node's `GRAPH_MAX_IPFS_FILE_BYTES`, 25 MiB);
    /// larger files are `null`.
    pub max_file_bytes: u64,
    /// Largest file `ipfs.map` reads (graph-node's `GRAPH_MAX_IPFS_MAP_FILE_SIZE`, 256 MiB);
    /// a larger file fails the handler deterministically.
    pub max_map_file_bytes: u64,
}

impl IpfsSettings {
    /// `client` with graph-node's default size limit.
    pub fn new(client: IpfsClient) -> IpfsSettings {
        IpfsSettings {
            client,
            max_file_bytes: 25 * 1024 * 1024,
            max_map_file_bytes: 256 * 1024 * 1024,
        }
    }
}

/// `ipfs.cat(path: string): Bytes | null`.
pub(crate) fn cat(caller: Caller<'_, HostState>, (path,): (u32,)) -> HostFuture<'_, u32> {
    fetch(caller, path, "ipfs.cat", |ipfs, path| async move {
        ipfs.client.cat(&path, ipfs.max_file_bytes).await
    })
}

/// `ipfs.getBlock(path: string): Bytes | null`: the raw block, not the file in it.
pub(crate) fn get_block(caller: Caller<'_, HostState>, (path,): (u32,)) -> HostFuture<'_, u32> {
    fetch(caller, path, "ipfs.getBlock", |ipfs, path| async move {
        ipfs.client.get_block(&path).await
    })
}

fn fetch<'a, F, Fut>(
    mut caller: Caller<'a, HostState>,
    path: u32,
    name: &'static str,
    request: F,
) -> HostFuture<'a, u32>
where
    F: FnOnce(Arc<IpfsSettings>, String) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<bytes::Bytes, IpfsError>> + Send + 'a,
{
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL)?;
        let path: String = Reader::new(&mut cx)?.read(path)?;
        let ipfs = gateway(&cx, name)?;
        let result = {
            // Restarted when dropped, also on the early returns below.
            let _paused = cx.data().clock.as_ref().map(|clock| clock.pause());
            request(ipfs, path.clone()).await
        };
        let bytes = match result {
            Ok(bytes) => Some(bytes.to_vec()),
            Err(e) if e.is_deterministic() => {
                tracing::info!(target: "sprig::mapping", "{name}(`{path}`) is null: {e}");
                None
            }
            Err(e) => {
                return Err(HostError::non_deterministic(
                    anyhow::Error::new(e).context(format!("{name}(`{path}`) failed")),
                )
                .into())
            }
        };
        write_value_opt(&mut cx, bytes.as_ref()).await
    })
}

/// The runtime's gateway, or a non-deterministic error asking for one.
fn gateway(
    cx: &StoreContextMut<'_, HostState>,
    name: &str,
) -> Result<Arc<IpfsSettings>, HostError> {
    cx.data().ipfs.clone().ok_or_else(|| {
        HostError::non_deterministic(anyhow::anyhow!(
            "the mapping calls {name}, which needs an IPFS gateway: start sprig with \
             --ipfs URL (or SPRIG_IPFS)"
        ))
    })
}

/// The one flag graph-node knows, which it requires.
const JSON_FLAG: &str = "json";

/// Deepest nesting of `ipfs.map` calls (a callback mapping a file, whose callback maps one...).
/// Each level holds an instance while the ones inside it run, so without a bound a callback that
/// always maps a file would exhaust the instance pool (a failure of the host, retried forever)
/// long before its gas; graph-node has no bound.
pub(crate) const MAX_MAP_DEPTH: u32 = 16;

/// Longest excerpt of a line that is not JSON quoted in the error.
const QUOTED_LINE_CHARS: usize = 1024;

/// `ipfs.map(path: string, callback: string, userData: Value, flags: string[]): void`.
pub(crate) fn map(
    mut caller: Caller<'_, HostState>,
    (path, callback, user_data, flags): (u32, u32, u32, u32),
) -> HostFuture<'_, ()> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL)?;
        let (path, callback, user_data, flags) = {
            let mut reader = Reader::new(&mut cx)?;
            let path: String = reader.read(path)?;
            let callback: String = reader.read(callback)?;
            let user_data: Value = reader.read(user_data)?;
            let flags: Vec<String> = reader.array(flags)?;
            (path, callback, user_data, flags)
        };
        if !flags.iter().any(|flag| flag == JSON_FLAG) {
            return Err(deterministic!(
                "ipfs.map(`{path}`): the flags must contain '{JSON_FLAG}', got {flags:?}"
            )
            .into());
        }
        let map_depth = cx.data().map_depth + 1;
        if map_depth > MAX_MAP_DEPTH {
            return Err(deterministic!(
                "ipfs.map(`{path}`): ipfs.map calls nested deeper than the limit of \
                 {MAX_MAP_DEPTH} (a callback calling ipfs.map counts one more)"
            )
            .into());
        }
        let ipfs = gateway(&cx, "ipfs.map")?;
        let file = {
            // Restarted when dropped; the callbacks below run on the handler's clock.
            let _paused = cx.data().clock.as_ref().map(|clock| clock.pause());
            ipfs.client.cat(&path, ipfs.max_map_file_bytes).await
        };
        let file = file.map_err(|e| {
            let deterministic = e.is_deterministic();
            let error = anyhow::Error::new(e).context(format!("ipfs.map(`{path}`) failed"));
            if deterministic {
                HostError::deterministic(error)
            } else {
                HostError::non_deterministic(error)
            }
        })?;
        gas::charge(
            &mut cx,
            gas::PER_BYTE_PARSED.saturating_mul(file.len() as u64),
        )?;
        let module = cx.data().module.clone().ok_or_else(|| {
            HostError::non_deterministic(anyhow::anyhow!(
                "internal error: ipfs.map called without a module to run its callbacks"
            ))
        })?;

        // As graph-node: lines are split at `\n`, empty lines skipped but counted, and each
        // line's callback runs before the next line is parsed.
        for (index, line) in file.split(|&byte| byte == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let number = index + 1;
            let value = parse_line(line).map_err(|e| {
                deterministic!("ipfs.map(`{path}`): line {number} is not valid JSON: {e}")
            })?;
            let ctx = callback_context(cx.data(), &callback);
            let clock = cx.data().clock.clone();
            let metered = cx.data().metered;
            let fuel = if metered { fuel_left(&cx)? } else { 0 };
            let CallbackResult {
                state,
                outcome,
                fuel_left,
            } = module
                .run_callback(ctx, clock, map_depth, fuel, &value, &user_data)
                .await;
            if metered {
                cx.set_fuel(fuel_left)
                    .map_err(|e| HostError::non_deterministic(anyhow::Error::from(e)))?;
            }
            let failed = |cause: &str| {
                format!("ipfs.map(`{path}`): callback `{callback}` failed on line {number}{cause}")
            };
            // The callback's write log joins the handler's even when it failed: the proof of
            // indexing records every write a mapping asked for.
            let handler = &mut cx.data_mut().ctx.state;
            handler.continue_ids_of(&state);
            let merged = handler.cache.extend(state.cache);
            if let Err(e) = outcome {
                return Err(HostError {
                    determinism: e.determinism,
                    error: e.error.context(failed("")),
                }
                .into());
            }
            merged.map_err(|e| {
                HostError::deterministic(e.context(failed(": its writes cannot be merged")))
            })?;
            handler
                .created_data_sources
                .extend(state.created_data_sources);
        }
        Ok(())
    })
}

/// One line of an `ipfs.map` file as JSON; the error gives the column and quotes (the start
/// of) the line.
fn parse_line(line: &[u8]) -> anyhow::Result<serde_json::Value> {
    serde_json::from_slice(line).map_err(|e| {
        // serde_json ends its message with the position in what it parsed, whose "line 1"
        // would contradict the file's line number the caller gives.
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        let text = String::from_utf8_lossy(line);
        let quoted: String = text.trim_end().chars().take(QUOTED_LINE_CHARS).collect();
        anyhow::anyhow!("{message} at column {}: `{quoted}`", e.column())
    })
}

/// The context of a callback run for the handler whose state is `parent`: the same block, data
/// source, chain and schema, and an empty block state over the same store (graph-node's
/// `derive_with_empty_block_state`).
fn callback_context(parent: &HostState, callback: &str) -> HandlerContext {
    let parent = &parent.ctx;
    HandlerContext {
        handler: callback.to_string(),
        block: parent.block,
        block_timestamp: parent.block_timestamp,
        data_source: parent.data_source.clone(),
        state: parent.state.derive_empty(parent.state.cache.fresh()),
        chain: Arc::clone(&parent.chain),
        schema: Arc::clone(&parent.schema),
    }
}

fn fuel_left(cx: &StoreContextMut<'_, HostState>) -> Result<u64, HostError> {
    cx.get_fuel()
        .map_err(|e| HostError::non_deterministic(anyhow::Error::from(e)))
}
