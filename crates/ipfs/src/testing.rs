//! Test support: a real IPFS (Helia's UnixFS on a memory blockstore) served over the HTTP gateway
//! protocol on loopback, by `tests/support/gateway.mjs` (needs `node` and the repository's
//! `npm install`). Behind the `testing` feature; other crates enable it from dev-dependencies.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use sprig_ipfs::testing::{Gateway, Layout};
//!
//! let gateway = Gateway::spawn()?; // killed when dropped
//! let cid = gateway.add(b"hello", Layout::default()).await?;
//! # Ok(()) }
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// How Helia lays a file out as blocks.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// CID version of every block (0: dag-pb leaves and base58 `Qm...` CIDs).
    pub cid_version: u8,
    /// Leaves as `raw` blocks (CIDv1 only) instead of dag-pb nodes.
    pub raw_leaves: bool,
    /// Bytes per leaf block.
    pub chunk_size: usize,
}

impl Default for Layout {
    /// Helia's defaults: CIDv1 and raw leaves, here with 256 KiB chunks.
    fn default() -> Self {
        Layout {
            cid_version: 1,
            raw_leaves: true,
            chunk_size: 256 * 1024,
        }
    }
}

/// The gateway's count of `GET /ipfs/...` requests (blocks and files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Requests being answered (or held) now.
    pub in_flight: usize,
    /// The most requests that were in flight at once so far.
    pub most_in_flight: usize,
    /// Distinct CIDs asked for so far.
    pub cids_asked: usize,
}

/// A running gateway process on `127.0.0.1`, killed when dropped.
#[derive(Debug)]
pub struct Gateway {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Gateway {
    /// Starts the gateway on a free port and waits until it listens.
    pub fn spawn() -> Result<Gateway> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gateway.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start node for the IPFS test gateway")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(port) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            bail!(
                "the IPFS test gateway did not start (printed {line:?}; run `npm install` at \
                 the repository root)"
            );
        };
        Ok(Gateway {
            url: format!("http://127.0.0.1:{port}"),
            child,
            http: reqwest::Client::new(),
        })
    }

    /// The gateway's base URL (what `--ipfs` takes).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds a file; returns its CID.
    pub async fn add(&self, bytes: &[u8], layout: Layout) -> Result<String> {
        self.post(&self.add_path(layout, false), bytes.to_vec())
            .await
    }

    /// Computes a file's CID without serving it, until [`reveal`](Self::reveal).
    pub async fn add_hidden(&self, bytes: &[u8], layout: Layout) -> Result<String> {
        self.post(&self.add_path(layout, true), bytes.to_vec())
            .await
    }

    /// Starts serving a file added with [`add_hidden`](Self::add_hidden).
    pub async fn reveal(&self, cid: &str) -> Result<()> {
        self.post(&format!("/reveal/{cid}"), Vec::new())
            .await
            .map(drop)
    }

    /// Makes the gateway answer the block `cid` with one byte changed.
    pub async fn corrupt(&self, cid: &str) -> Result<()> {
        self.post(&format!("/corrupt/{cid}"), Vec::new())
            .await
            .map(drop)
    }

    /// Holds requests for blocks the gateway does not serve (no answer at all) until
    /// [`release`](Self::release).
    pub async fn hold(&self) -> Result<()> {
        self.post("/hold", Vec::new()).await.map(drop)
    }

    /// Answers the held requests (404) and stops holding.
    pub async fn release(&self) -> Result<()> {
        self.post("/release", Vec::new()).await.map(drop)
    }

    /// What the gateway has been asked for so far.
    pub async fn stats(&self) -> Result<Stats> {
        let text = self
            .http
            .get(format!("{}/stats", self.url))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let numbers: Vec<usize> = text
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("GET /stats: {text:?}"))?;
        let [in_flight, most_in_flight, cids_asked] = numbers[..] else {
            bail!("GET /stats: {text:?}");
        };
        Ok(Stats {
            in_flight,
            most_in_flight,
            cids_asked,
        })
    }

    fn add_path(&self, layout: Layout, hidden: bool) -> String {
        format!(
            "/add?cidVersion={}&rawLeaves={}&chunkSize={}{}",
            layout.cid_version,
            layout.raw_leaves,
            layout.chunk_size,
            if hidden { "&hidden=1" } else { "" }
        )
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> Result<String> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST {path}: {status}: {text}");
        }
        Ok(text)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
