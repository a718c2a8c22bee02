//! Sprig's Arweave client: the data of Arweave transactions from an HTTP gateway, for the files
//! of `file/arweave` data sources.
//!
//! A `file/arweave` data source names its file by what the mapping passed to
//! `dataSource.create`: a transaction id (`<txid>`, 43 base64url characters) or a path through a
//! path manifest (`<txid>/<path>`). graph-node asks its gateway (`--arweave`, by default
//! `https://arweave.net`) for `GET <gateway>/<file>` and takes the body as the file;
//! [`ArweaveClient::get`] does the same, with a timeout and a size limit, for names of those two
//! forms only and for success statuses only (see [`ArweaveClient::url_of`] and
//! [`ArweaveClient::get`] for how graph-node differs).
//!
//! Unlike IPFS content, what a gateway sends cannot be checked here (that would take the
//! transaction's signature and data root, which a gateway's `/<txid>` route does not send): the
//! gateway is trusted with the bytes, as in graph-node.
//!
//! Errors say whether they are deterministic ([`ArweaveError::is_deterministic`]): a name that
//! is no transaction id (or leads out of it), or data over the size limit (a transaction's data is fixed by
//! its id), is the same on every machine; a gateway that is down, slow or does not have the
//! transaction yet is not, and callers retry those.
//!
//! Invariant: knows nothing about subgraphs or wasm.

#[cfg(feature = "testing")]
pub mod testing;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{StatusCode, Url};

/// graph-node's default gateway (its `--arweave` flag).
pub const DEFAULT_GATEWAY: &str = "https://arweave.net";

/// Length of an Arweave transaction id: a SHA-256 hash in unpadded base64url.
const TX_ID_CHARS: usize = 43;

/// Why a file could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ArweaveError {
    /// The name is not `<txid>` or `<txid>/<path>` (a URL, a CID, `..` out of the transaction).
    /// Deterministic.
    #[error("`{file}` is not an Arweave transaction id or path: {reason}")]
    InvalidPath { file: String, reason: String },
    /// The data is larger than the limit. Deterministic.
    #[error("the Arweave file `{file}` is larger than the limit of {limit} bytes")]
    TooLarge { file: String, limit: u64 },
    /// The gateway does not have the transaction (now): it may not be posted or mined yet.
    /// Non-deterministic.
    #[error("the Arweave gateway has no file `{file}` (yet)")]
    NotFound { file: String },
    /// The gateway answered with another status than success. Non-deterministic.
    #[error("the Arweave gateway answered `{file}` with {status}")]
    Status { file: String, status: StatusCode },
    /// The gateway could not be reached, failed mid-answer or took too long. Non-deterministic.
    #[error("cannot fetch the Arweave file `{file}`")]
    Fetch {
        file: String,
        #[source]
        source: anyhow::Error,
    },
}

impl ArweaveError {
    /// Whether every machine gets the same error for the same file: the name or the data is at
    /// fault, not the gateway.
    pub fn is_deterministic(&self) -> bool {
        matches!(
            self,
            ArweaveError::InvalidPath { .. } | ArweaveError::TooLarge { .. }
        )
    }
}

/// Reads the data of Arweave transactions from an HTTP gateway. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ArweaveClient {
    http: reqwest::Client,
    /// The gateway's base URL, ending in `/` so that file names are joined below it.
    base: Url,
    timeout: Duration,
    max_file_bytes: u64,
}

impl ArweaveClient {
    /// A client of the gateway at `gateway` (e.g. `https://arweave.net`); each [`get`] must
    /// finish within `timeout` and return at most `max_file_bytes`.
    ///
    /// [`get`]: ArweaveClient::get
    pub fn new(
        gateway: &str,
        timeout: Duration,
        max_file_bytes: u64,
    ) -> anyhow::Result<ArweaveClient> {
        let mut base: Url = gateway
            .parse()
            .map_err(|e| anyhow::anyhow!("Arweave gateway URL `{gateway}`: {e}"))?;
        anyhow::ensure!(
            matches!(base.scheme(), "http" | "https"),
            "Arweave gateway URL `{gateway}` must be http or https"
        );
        anyhow::ensure!(
            base.query().is_none() && base.fragment().is_none(),
            "Arweave gateway URL `{gateway}` must not have a query or fragment"
        );
        // graph-node joins file names to the URL as given, so a gateway under a path without a
        // trailing slash (`http://host/arweave`) would lose its last segment; here it is kept.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        // No gzip (graph-node turns it off too): the size limit is on the data itself.
        // Redirects are followed (arweave.net sends some data to sandbox subdomains).
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot set up the Arweave HTTP client: {e}"))?;
        Ok(ArweaveClient {
            http,
            base,
            timeout,
            max_file_bytes,
        })
    }

    /// The gateway's base URL (ending in `/`).
    pub fn gateway(&self) -> &str {
        self.base.as_str()
    }

    /// The largest file [`get`](Self::get) returns.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// Where the gateway serves `file`: `<txid>` or `<txid>/<path>` joined to the gateway's URL.
    ///
    /// graph-node takes any string and joins it to its gateway's URL. Here the name must start
    /// with a transaction id (43 base64url characters) and stay below it: anything else names
    /// no Arweave data and is refused, deterministically. Without this a URL (`https://other/x`,
    /// `//other/x`) would be fetched from another host, and a name a gateway does not route (a
    /// CID, `raw/...`) could get a gateway's error page with a success status as the file
    /// (arlocal answers unknown paths so).
    pub fn url_of(&self, file: &str) -> Result<Url, ArweaveError> {
        let invalid = |reason: &str| ArweaveError::InvalidPath {
            file: file.to_string(),
            reason: reason.to_string(),
        };
        let (id, path) = file.split_once('/').unwrap_or((file, ""));
        let is_base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if id.len() != TX_ID_CHARS || !id.chars().all(is_base64url) {
            return Err(invalid(&format!(
                "it does not start with a transaction id ({TX_ID_CHARS} base64url characters)"
            )));
        }
        let url = self.base.join(file).map_err(|e| invalid(&e.to_string()))?;
        // `..` segments (also percent-encoded) are resolved by the join: the result must still
        // be the transaction or below it.
        let tx_path = format!("{}{id}", self.base.path());
        let below = url.scheme() == self.base.scheme()
            && url.host() == self.base.host()
            && url.port_or_known_default() == self.base.port_or_known_default()
            && (url.path() == tx_path || url.path().starts_with(&format!("{tx_path}/")))
            && (path.is_empty() || url.path() != tx_path);
        if !below {
            return Err(invalid(&format!(
                "it leads to {url}, not to the transaction {id} on the gateway {}",
                self.base
            )));
        }
        Ok(url)
    }

    /// The data of `file` (`<txid>` or `<txid>/<path>`), at most [`max_file_bytes`] long.
    ///
    /// Only a success status gives a file: graph-node takes any answer's body as the file (a
    /// 404 page of a transaction not mined yet included); here a 404 is
    /// [`ArweaveError::NotFound`] and other statuses [`ArweaveError::Status`], both retried.
    ///
    /// [`max_file_bytes`]: Self::max_file_bytes
    pub async fn get(&self, file: &str) -> Result<Bytes, ArweaveError> {
        let url = self.url_of(file)?;
        let fetch = |source: anyhow::Error| ArweaveError::Fetch {
            file: file.to_string(),
            source,
        };
        let work = async {
            let mut response = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| fetch(e.into()))?;
            match response.status() {
                status if status.is_success() => {}
                StatusCode::NOT_FOUND => {
                    return Err(ArweaveError::NotFound {
                        file: file.to_string(),
                    })
                }
                status => {
                    return Err(ArweaveError::Status {
                        file: file.to_string(),
                        status,
                    })
                }
            }
            let too_large = || ArweaveError::TooLarge {
                file: file.to_string(),
                limit: self.max_file_bytes,
            };
            // The announced length decides before anything is read, as in graph-node; a body
            // without one (which graph-node never accepts) is counted as it comes.
            if response
                .content_length()
                .is_some_and(|length| length > self.max_file_bytes)
            {
                return Err(too_large());
            }
            let mut data = BytesMut::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fetch(e.into()))? {
                if (data.len() + chunk.len()) as u64 > self.max_file_bytes {
                    return Err(too_large());
                }
                data.extend_from_slice(&chunk);
            }
            Ok(data.freeze())
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(fetch(anyhow::anyhow!(
                    "the gateway took longer than {:?}",
                    self.timeout
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TX: &str = "sa9H1CB2K2wPVZSAb1-yRfWDqbURoiUsqzHysYwKiE8";

    fn client(gateway: &str) -> ArweaveClient {
        ArweaveClient::new(gateway, Duration::from_secs(1), 100).unwrap()
    }

    #[test]
    fn names_are_joined_below_the_gateway() {
        let c = client("https://arweave.net");
        assert_eq!(
            c.url_of(TX).unwrap().as_str(),
            format!("https://arweave.net/{TX}")
        );
        assert_eq!(
            c.url_of(&format!("{TX}/dir/a.json")).unwrap().as_str(),
            format!("https://arweave.net/{TX}/dir/a.json")
        );
        // `..` within the transaction's paths is resolved as a URL join resolves it.
        assert_eq!(
            c.url_of(&format!("{TX}/dir/../a.json")).unwrap().as_str(),
            format!("https://arweave.net/{TX}/a.json")
        );
        // A gateway under a path keeps it, with or without the trailing slash.
        for base in ["http://127.0.0.1:1984/ar", "http://127.0.0.1:1984/ar/"] {
            assert_eq!(
                client(base).url_of(TX).unwrap().as_str(),
                format!("http://127.0.0.1:1984/ar/{TX}")
            );
        }
    }

    #[test]
    fn names_that_are_no_transaction_are_refused_deterministically() {
        let c = client("http://127.0.0.1:1984/ar");
        for name in [
            String::new(),
            "https://example.com/x".into(),
            "//example.com/x".into(),
            "../x".into(),
            format!("/{TX}"),
            format!("{TX}/../x"),
            format!("{TX}/%2e%2e/x"),
            format!("{TX}?q"),
            format!("raw/{TX}"),
            TX[1..].to_string(),
            format!("{TX}a"),
            TX.replace('b', "+"),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".into(),
        ] {
            let err = c.url_of(&name).unwrap_err();
            assert!(err.is_deterministic(), "{name:?}: {err}");
            assert!(matches!(err, ArweaveError::InvalidPath { .. }), "{name:?}");
        }
    }

    #[test]
    fn gateway_urls_are_checked() {
        assert!(ArweaveClient::new("ftp://x", Duration::from_secs(1), 1).is_err());
        assert!(ArweaveClient::new("not a url", Duration::from_secs(1), 1).is_err());
        assert!(ArweaveClient::new("http://x/?q=1", Duration::from_secs(1), 1).is_err());
    }
}
