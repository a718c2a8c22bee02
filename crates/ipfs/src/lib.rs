//! Sprig's IPFS client: files and blocks from an IPFS HTTP gateway, verified against their CIDs.
//!
//! Mappings read IPFS files (`ipfs.cat`, `ipfs.map`, file data sources) by CID. A gateway is
//! trusted with nothing: [`IpfsClient`] asks it only for raw blocks (the trustless gateway
//! protocol, `GET /ipfs/<cid>?format=raw`), checks that each block hashes to the CID that names
//! it, and rebuilds files from their UnixFS DAG itself. So a file is exactly the bytes its CID
//! commits to, whatever the gateway sends, and a file's size is known from its root block before
//! the rest is fetched.
//!
//! Supported: CIDv0 and CIDv1; `raw` and `dag-pb` blocks; sha2-256, sha2-512 and identity
//! hashes; UnixFS files (any chunking, raw or dag-pb leaves) and paths through plain UnixFS
//! directories (`<cid>/dir/file`). Sharded (HAMT) directories are refused.
//!
//! Errors say whether they are deterministic ([`IpfsError::is_deterministic`]): a property of the
//! content (an invalid CID, a file over the size limit, a path that is not a file) is the same on
//! every machine, while a gateway that is down, slow, lacks the content or sends wrong bytes is
//! not, and callers retry those.
//!
//! Invariant: knows nothing about subgraphs or wasm.

#[cfg(feature = "testing")]
pub mod testing;
mod unixfs;

use std::time::Duration;

use bytes::Bytes;
use cid::Cid;
use ipld_dagpb::PbNode;
use sha2::{Digest, Sha256, Sha512};

use crate::unixfs::{DataType, UnixFsData};

/// Multicodec of raw blocks.
const RAW: u64 = 0x55;
/// Multicodec of DAG-PB blocks (UnixFS).
const DAG_PB: u64 = 0x70;
/// Multihash codes this client can verify.
const IDENTITY: u64 = 0x00;
const SHA2_256: u64 = 0x12;
const SHA2_512: u64 = 0x13;

/// The largest block the client accepts: the limit of IPFS's own block exchange (bitswap), so no
/// well-formed DAG has larger blocks.
pub const MAX_BLOCK_BYTES: usize = 2 * 1024 * 1024;

/// Why a file or block could not be had.
#[derive(Debug, thiserror::Error)]
pub enum IpfsError {
    /// The path is not `<cid>[/name...]` with a valid CID. Deterministic.
    #[error("`{path}` is not a valid IPFS path: {reason}")]
    InvalidPath { path: String, reason: String },
    /// The content is of a kind the client does not read (a hash function, codec or UnixFS node
    /// type it does not support, a path that is not a file). Deterministic.
    #[error("{0}")]
    Unsupported(String),
    /// The file is larger than the caller's limit. Deterministic.
    #[error("the file `{path}` is larger than the limit of {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    /// The gateway does not have the block (now). Non-deterministic.
    #[error("the gateway has no block {cid}")]
    NotFound { cid: String },
    /// The gateway failed, timed out or sent bytes that are not the block. Non-deterministic.
    #[error(transparent)]
    Fetch(anyhow::Error),
}

impl IpfsError {
    /// Whether every machine gets the same error for the same request: the content itself is at
    /// fault, not the gateway.
    pub fn is_deterministic(&self) -> bool {
        matches!(
            self,
            IpfsError::InvalidPath { .. } | IpfsError::Unsupported(_) | IpfsError::TooLarge { .. }
        )
    }
}

/// Reads verified files and blocks from an IPFS HTTP gateway. Cheap to clone.
#[derive(Clone, Debug)]
pub struct IpfsClient {
    http: reqwest::Client,
    /// The gateway's base URL, without a trailing slash.
    gateway: String,
    timeout: Duration,
}

impl IpfsClient {
    /// A client of the gateway at `gateway` (e.g. `http://127.0.0.1:8080`); each [`cat`] or
    /// [`get_block`] must finish within `timeout`.
    ///
    /// [`cat`]: IpfsClient::cat
    /// [`get_block`]: IpfsClient::get_block
    pub fn new(gateway: &str, timeout: Duration) -> anyhow::Result<IpfsClient> {
        let url: reqwest::Url = gateway
            .parse()
            .map_err(|e| anyhow::anyhow!("IPFS gateway URL `{gateway}`: {e}"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https"),
            "IPFS gateway URL `{gateway}` must be http or https"
        );
        Ok(IpfsClient {
            http: reqwest::Client::new(),
            gateway: gateway.trim_end_matches('/').to_string(),
            timeout,
        })
    }

    /// The gateway's base URL.
    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// The file at `path` (`<cid>`, `<cid>/name/...` or either with a leading `/ipfs/`), at most
    /// `max_bytes` long.
    pub async fn cat(&self, path: &str, max_bytes: u64) -> Result<Bytes, IpfsError> {
        let (root, names) = parse_path(path)?;
        self.timed(path, async {
            let file = self.resolve(root, &names, path).await?;
            self.read_file(file, path, max_bytes).await
        })
        .await
    }

    /// The raw block named by `path` (resolved through directories like [`cat`](Self::cat)).
    pub async fn get_block(&self, path: &str) -> Result<Bytes, IpfsError> {
        let (root, names) = parse_path(path)?;
        self.timed(path, async {
            let cid = self.resolve(root, &names, path).await?;
            self.block(&cid).await
        })
        .await
    }

    async fn timed<T>(
        &self,
        path: &str,
        work: impl std::future::Future<Output = Result<T, IpfsError>>,
    ) -> Result<T, IpfsError> {
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(IpfsError::Fetch(anyhow::anyhow!(
                    "reading `{path}` from the IPFS gateway timed out after {:?}",
                    self.timeout
                )))
            })
    }

    /// Follows `names` through UnixFS directories from `root`.
    async fn resolve(&self, root: Cid, names: &[&str], path: &str) -> Result<Cid, IpfsError> {
        let mut cid = root;
        for name in names {
            let (node, data) = match cid.codec() {
                DAG_PB => self.dag_pb(&cid).await?,
                _ => {
                    return Err(IpfsError::Unsupported(format!(
                        "`{path}`: {cid} is not a directory, so it has no entry `{name}`"
                    )))
                }
            };
            match data.kind {
                DataType::Directory => {}
                DataType::HamtShard => {
                    return Err(IpfsError::Unsupported(format!(
                        "`{path}`: {cid} is a sharded (HAMT) directory, which is not supported"
                    )))
                }
                other => {
                    return Err(IpfsError::Unsupported(format!(
                        "`{path}`: {cid} is a UnixFS {other:?} node, not a directory"
                    )))
                }
            }
            cid = node
                .links
                .iter()
                .find(|link| link.name.as_deref() == Some(name))
                .map(|link| link.cid)
                .ok_or_else(|| {
                    IpfsError::Unsupported(format!(
                        "`{path}`: directory {cid} has no entry `{name}`"
                    ))
                })?;
        }
        Ok(cid)
    }

    /// The bytes of the UnixFS file (or raw block) `root`, children in link order.
    async fn read_file(&self, root: Cid, path: &str, max_bytes: u64) -> Result<Bytes, IpfsError> {
        let too_large = || IpfsError::TooLarge {
            path: path.to_string(),
            limit: max_bytes,
        };
        let mut out: Vec<u8> = Vec::new();
        // Depth first, links in order: a stack with each node's links pushed in reverse.
        let mut stack = vec![root];
        // Bounds the work a DAG of empty nodes could cause, which the file size would not.
        let mut fetched: u64 = 0;
        let fetch_budget = max_bytes.saturating_mul(2).saturating_add(1 << 20);
        while let Some(cid) = stack.pop() {
            match cid.codec() {
                RAW => {
                    let block = self.block(&cid).await?;
                    fetched += block.len() as u64;
                    out.extend_from_slice(&block);
                }
                DAG_PB => {
                    let (node, data) = self.dag_pb(&cid).await?;
                    fetched += node.data.as_ref().map_or(0, |d| d.len() as u64);
                    match data.kind {
                        DataType::File | DataType::Raw => {}
                        other => {
                            return Err(IpfsError::Unsupported(format!(
                                "`{path}` is not a file: {cid} is a UnixFS {other:?} node"
                            )))
                        }
                    }
                    // The root says how large the file is: refuse before fetching the rest.
                    if cid == root && data.filesize.is_some_and(|size| size > max_bytes) {
                        return Err(too_large());
                    }
                    if let Some(bytes) = &data.data {
                        out.extend_from_slice(bytes);
                    }
                    stack.extend(node.links.iter().rev().map(|link| link.cid));
                }
                other => {
                    return Err(IpfsError::Unsupported(format!(
                        "`{path}`: block {cid} has codec 0x{other:x}; only raw and dag-pb \
                         (UnixFS) files can be read"
                    )))
                }
            }
            if out.len() as u64 > max_bytes {
                return Err(too_large());
            }
            if fetched > fetch_budget {
                return Err(IpfsError::Unsupported(format!(
                    "`{path}`: the DAG holds far more blocks than a file of at most {max_bytes} \
                     bytes needs"
                )));
            }
        }
        Ok(Bytes::from(out))
    }

    /// A DAG-PB block and the UnixFS data in it.
    async fn dag_pb(&self, cid: &Cid) -> Result<(PbNode, UnixFsData), IpfsError> {
        let block = self.block(cid).await?;
        let node = PbNode::from_bytes(block)
            .map_err(|e| IpfsError::Unsupported(format!("block {cid} is not valid DAG-PB: {e}")))?;
        let data = UnixFsData::decode(node.data.as_deref().unwrap_or_default()).map_err(|e| {
            IpfsError::Unsupported(format!("block {cid}: invalid UnixFS data: {e}"))
        })?;
        Ok((node, data))
    }

    /// One block, checked against its CID.
    async fn block(&self, cid: &Cid) -> Result<Bytes, IpfsError> {
        let hash = cid.hash();
        match hash.code() {
            // The content is in the CID itself.
            IDENTITY => return Ok(Bytes::copy_from_slice(hash.digest())),
            SHA2_256 | SHA2_512 => {}
            other => {
                return Err(IpfsError::Unsupported(format!(
                    "{cid} uses the hash function 0x{other:x}; only sha2-256, sha2-512 and \
                     identity CIDs are supported"
                )))
            }
        }
        let url = format!("{}/ipfs/{cid}?format=raw", self.gateway);
        let fetch_error = |e: reqwest::Error| {
            IpfsError::Fetch(anyhow::Error::new(e).context(format!("GET {url}")))
        };
        let mut response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/vnd.ipld.raw")
            .send()
            .await
            .map_err(fetch_error)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Err(IpfsError::NotFound {
                cid: cid.to_string(),
            });
        }
        if !status.is_success() {
            return Err(IpfsError::Fetch(anyhow::anyhow!(
                "GET {url}: the gateway answered {status}"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
            if body.len() + chunk.len() > MAX_BLOCK_BYTES {
                return Err(IpfsError::Fetch(anyhow::anyhow!(
                    "GET {url}: the gateway sent more than {MAX_BLOCK_BYTES} bytes, the most a \
                     block can have"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let matches = match hash.code() {
            SHA2_256 => Sha256::digest(&body)[..] == *hash.digest(),
            _ => Sha512::digest(&body)[..] == *hash.digest(),
        };
        if !matches {
            return Err(IpfsError::Fetch(anyhow::anyhow!(
                "GET {url}: the gateway sent {} bytes that do not hash to {cid}; refused",
                body.len()
            )));
        }
        Ok(Bytes::from(body))
    }
}

/// Checks that `path` is `[/ipfs/]<cid>[/name...]` with a valid CID, as every read needs, without
/// reading anything (file data sources with any other path are never created).
pub fn check_path(path: &str) -> Result<(), IpfsError> {
    parse_path(path).map(|_| ())
}

/// Splits `[/ipfs/]<cid>[/name...]` into the CID and the names after it.
fn parse_path(path: &str) -> Result<(Cid, Vec<&str>), IpfsError> {
    let invalid = |reason: String| IpfsError::InvalidPath {
        path: path.to_string(),
        reason,
    };
    let trimmed = path.trim();
    let trimmed = trimmed.strip_prefix("/ipfs/").unwrap_or(trimmed);
    let mut parts = trimmed.split('/').filter(|p| !p.is_empty());
    let first = parts
        .next()
        .ok_or_else(|| invalid("it names no CID".to_string()))?;
    let cid: Cid = first
        .parse()
        .map_err(|e| invalid(format!("invalid CID `{first}`: {e}")))?;
    Ok((cid, parts.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let v0 = "QmWmyoMoctfbAaiEs2G46gpeUmhqFRDW6KWo64y5r581Vz";
        for path in [v0.to_string(), format!("/ipfs/{v0}"), format!(" {v0}/")] {
            let (cid, names) = parse_path(&path).unwrap();
            assert_eq!(cid.to_string(), v0);
            assert!(names.is_empty());
        }
        let path = format!("{v0}/a/b.json");
        let (cid, names) = parse_path(&path).unwrap();
        assert_eq!(
            (cid.version(), names),
            (cid::Version::V0, vec!["a", "b.json"])
        );
        let v1 = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
        assert_eq!(parse_path(v1).unwrap().0.codec(), RAW);
        assert!(check_path(v1).is_ok());
        for bad in ["", "/ipfs/", "Qm", "invalid hash", "bafy/x"] {
            assert!(check_path(bad).is_err(), "{bad}");
            let err = parse_path(bad).unwrap_err();
            assert!(err.is_deterministic(), "{bad}: {err}");
            assert!(
                err.to_string().contains("is not a valid IPFS path"),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn identity_cids_need_no_gateway() {
        // An identity CID carries its content: `raw` codec, identity hash of "hi".
        let cid = Cid::new_v1(
            RAW,
            cid::multihash::Multihash::<64>::wrap(IDENTITY, b"hi").unwrap(),
        );
        let client = IpfsClient::new("http://127.0.0.1:9", Duration::from_secs(1)).unwrap();
        assert_eq!(&client.cat(&cid.to_string(), 10).await.unwrap()[..], b"hi");
        let err = client.cat(&cid.to_string(), 1).await.unwrap_err();
        assert!(matches!(err, IpfsError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn gateway_urls() {
        assert!(IpfsClient::new("ftp://x", Duration::from_secs(1)).is_err());
        assert!(IpfsClient::new("not a url", Duration::from_secs(1)).is_err());
        let client = IpfsClient::new("http://127.0.0.1:8080/", Duration::from_secs(1)).unwrap();
        assert_eq!(client.gateway(), "http://127.0.0.1:8080");
    }
}
