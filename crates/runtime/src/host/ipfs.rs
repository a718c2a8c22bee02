//! `ipfs.cat` and `ipfs.getBlock`: files and blocks from the IPFS gateway the runtime was given
//! ([`MappingRuntime::with_ipfs`](crate::MappingRuntime::with_ipfs)), verified against their CIDs
//! by `sprig-ipfs`.
//!
//! graph-node (with IPFS enabled) returns `null` for every failure, so whether a slow gateway
//! made a mapping see `null` depended on the machine. Here only what the content itself decides
//! is `null` (an invalid CID or path, a file over the size limit, a DAG that is not a file), the
//! same everywhere; a gateway that fails, times out, lacks the file or sends wrong bytes is a
//! non-deterministic error, so the block is retried and nothing is recorded. The handler's clock
//! is paused while waiting, as for `ethereum.call`.

use std::sync::Arc;

use sprig_ipfs::{IpfsClient, IpfsError};
use wasmtime::{AsContextMut, Caller};

use super::HostFuture;
use crate::asc::{write_value_opt, Reader};
use crate::error::HostError;
use crate::gas;
use crate::state::HostState;

/// The gateway and limits mappings read IPFS through.
#[derive(Clone, Debug)]
pub struct IpfsSettings {
    /// The verifying client of the gateway.
    pub client: IpfsClient,
    /// Largest file `ipfs.cat` returns (graph-node's `GRAPH_MAX_IPFS_FILE_BYTES`, 25 MiB);
    /// larger files are `null`.
    pub max_file_bytes: u64,
}

impl IpfsSettings {
    /// `client` with graph-node's default size limit.
    pub fn new(client: IpfsClient) -> IpfsSettings {
        IpfsSettings {
            client,
            max_file_bytes: 25 * 1024 * 1024,
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
        let Some(ipfs) = cx.data().ipfs.clone() else {
            return Err(HostError::non_deterministic(anyhow::anyhow!(
                "the mapping calls {name}, which needs an IPFS gateway: start sprig with \
                 --ipfs URL (or SPRIG_IPFS)"
            ))
            .into());
        };
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
