//! Test support: a real Arweave gateway (arlocal, Arweave's HTTP API over SQLite) on loopback,
//! with transactions signed and posted by the `arweave` JS client, run by
//! `tests/support/gateway.mjs` (needs `node` and the repository's `npm install`). Behind the
//! `testing` feature; other crates enable it from dev-dependencies.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use sprig_arweave::testing::Gateway;
//!
//! let gateway = Gateway::spawn()?; // stopped when dropped
//! let id = gateway.add(b"hello").await?;
//! let later = gateway.sign(b"not posted yet").await?; // its id, before the gateway has it
//! gateway.post(&later).await?;
//! # Ok(()) }
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A running arlocal process on `127.0.0.1`, stopped (and its data deleted) when dropped.
#[derive(Debug)]
pub struct Gateway {
    child: Child,
    url: String,
    control: String,
    http: reqwest::Client,
    /// arlocal's database; deleted after the process is gone.
    _data: tempfile::TempDir,
}

impl Gateway {
    /// Starts arlocal and its control server on free ports and waits until both listen (a few
    /// seconds: the wallet that signs is a fresh 4096-bit RSA key).
    pub fn spawn() -> Result<Gateway> {
        let data = tempfile::tempdir()?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gateway.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg(data.path())
            // arlocal writes a request log, `./logs`, into its working directory.
            .current_dir(data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start node for the Arweave test gateway")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut stdout = BufReader::new(stdout);
        // arlocal prints a line of its own first.
        let mut printed = String::new();
        let mut line = String::new();
        while stdout.read_line(&mut line)? > 0 && !line.starts_with("listening ") {
            printed.push_str(&line);
            line.clear();
        }
        let ports: Vec<&str> = line
            .trim()
            .strip_prefix("listening ")
            .map(|p| p.split(' ').collect())
            .unwrap_or_default();
        let [gateway, control] = ports[..] else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "the Arweave test gateway did not start (printed {printed:?}; run `npm install` \
                 at the repository root)"
            );
        };
        Ok(Gateway {
            url: format!("http://127.0.0.1:{gateway}"),
            control: format!("http://127.0.0.1:{control}"),
            child,
            http: reqwest::Client::new(),
            _data: data,
        })
    }

    /// The gateway's base URL (what `--arweave` takes).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Posts a transaction carrying `data` and mines it; returns its id.
    pub async fn add(&self, data: &[u8]) -> Result<String> {
        self.request("/add", data.to_vec()).await
    }

    /// Signs a transaction carrying `data` without posting it: its id is fixed, but the gateway
    /// answers 404 for it until [`post`](Self::post).
    pub async fn sign(&self, data: &[u8]) -> Result<String> {
        self.request("/sign", data.to_vec()).await
    }

    /// Posts and mines a transaction signed by [`sign`](Self::sign).
    pub async fn post(&self, id: &str) -> Result<()> {
        self.request(&format!("/post/{id}"), Vec::new())
            .await
            .map(drop)
    }

    /// Posts a path manifest mapping each path to a transaction id; the gateway then serves
    /// `<manifest id>/<path>` as that transaction's data. Returns the manifest's id. Paths and
    /// ids must be plain ASCII (they are written into the manifest's JSON as Rust quotes them).
    pub async fn add_manifest(&self, paths: &[(&str, &str)]) -> Result<String> {
        let json = format!(
            "{{{}}}",
            paths
                .iter()
                .map(|(path, id)| format!("{path:?}: {id:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.request("/manifest", json.into_bytes()).await
    }

    async fn request(&self, path: &str, body: Vec<u8>) -> Result<String> {
        let response = self
            .http
            .post(format!("{}{path}", self.control))
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
        // Closing stdin asks the script to stop arlocal cleanly; it is killed if it takes long.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
