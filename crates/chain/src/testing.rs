//! Test support: a real anvil node on a free loopback port, and helpers to send it transactions.
//!
//! Behind the `testing` feature, so that only tests pay for it. Other crates enable it from
//! their dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! sprig-chain = { workspace = true, features = ["testing"] }
//! ```
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use sprig_chain::testing::{Anvil, TxRequest};
//!
//! let anvil = Anvil::spawn()?; // killed when dropped
//! let contract = anvil.deploy(alloy::hex::decode("6080…")?).await?;
//! let receipt = anvil.send_transaction(TxRequest::call(contract, vec![0x12, 0x34])).await?;
//! let block = anvil.client().block_by_number(receipt.block_number).await?;
//! # Ok(()) }
//! ```
//!
//! The anvil binary is looked up in `$SPRIG_ANVIL`, then in `node_modules` at the repository root
//! (`npm install` puts it there), then in `/work/tools/node_modules`, then on the `PATH`; see
//! [`anvil_binary`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::providers::Provider;
use anyhow::{bail, ensure, Context, Result};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::rpc::{RpcClient, RpcConfig};
use crate::types::Receipt;

/// How long anvil may take to start answering.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`Anvil::send_transaction`] waits for the transaction to be mined.
const MINING_TIMEOUT: Duration = Duration::from_secs(30);

/// A running anvil process listening on `127.0.0.1`, killed when dropped.
///
/// Each transaction is mined into its own block (anvil's default) unless started with other
/// arguments, e.g. `Anvil::spawn_with(&["--block-time", "1"])`.
pub struct Anvil {
    child: Child,
    port: u16,
    url: String,
    client: RpcClient,
    /// What anvil printed on stderr, for error messages.
    stderr: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Anvil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anvil")
            .field("pid", &self.child.id())
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Anvil {
    /// Starts anvil on a free port and waits until it answers JSON-RPC.
    pub fn spawn() -> Result<Self> {
        Self::spawn_with(&[])
    }

    /// Like [`spawn`](Self::spawn), with extra command-line arguments for anvil.
    pub fn spawn_with(args: &[&str]) -> Result<Self> {
        let binary = anvil_binary()?;
        // Another process may take the free port between our check and anvil's bind; a few
        // attempts with fresh ports make that race harmless.
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            match Self::start(&binary, port, args) {
                Ok(anvil) => return Ok(anvil),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    fn start(binary: &Path, port: u16, args: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--silent",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start anvil ({})", binary.display()))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            // Drained on a thread so that anvil never blocks on a full pipe.
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
                    sink.push_str(&line);
                    sink.push('\n');
                }
            });
        }
        let url = format!("http://127.0.0.1:{port}");
        let client = match RpcClient::connect_with(&url, Self::client_config()) {
            Ok(client) => client,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        // From here on, dropping `anvil` kills the process.
        let mut anvil = Self {
            child,
            port,
            url,
            client,
            stderr,
        };
        let started = Instant::now();
        loop {
            if let Some(status) = anvil.child.try_wait()? {
                bail!(
                    "anvil exited ({status}) before answering on port {port}: {}",
                    anvil.stderr_text()
                );
            }
            if answers_json_rpc(port) {
                return Ok(anvil);
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                bail!(
                    "anvil did not answer on port {port} within {STARTUP_TIMEOUT:?}: {}",
                    anvil.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Settings of [`client`](Self::client): few, short retries, so that a test against a dead
    /// node fails fast.
    pub fn client_config() -> RpcConfig {
        RpcConfig {
            max_retries: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            request_timeout: Duration::from_secs(30),
            ..RpcConfig::default()
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port anvil listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A client for this node with [`client_config`](Self::client_config).
    pub fn client(&self) -> RpcClient {
        self.client.clone()
    }

    /// A raw JSON-RPC request without retries; `params` is the JSON array of parameters.
    pub async fn request<R: DeserializeOwned>(&self, method: &str, params: Value) -> Result<R> {
        let answer: Value = self
            .client
            .provider()
            .raw_request(method.to_owned().into(), params)
            .await
            .with_context(|| format!("anvil at {}: {method}", self.url))?;
        serde_json::from_value(answer)
            .with_context(|| format!("anvil at {}: unexpected answer to {method}", self.url))
    }

    /// The unlocked default accounts (`eth_accounts`); transactions come from the first one
    /// unless they say otherwise.
    pub async fn accounts(&self) -> Result<Vec<Address>> {
        self.request("eth_accounts", json!([])).await
    }

    /// The number of the latest block.
    pub async fn block_number(&self) -> Result<u64> {
        let number: U64 = self.request("eth_blockNumber", json!([])).await?;
        Ok(number.to())
    }

    /// Mines `blocks` empty blocks (`anvil_mine`).
    pub async fn mine(&self, blocks: u64) -> Result<()> {
        let _: Value = self
            .request("anvil_mine", json!([U64::from(blocks)]))
            .await?;
        Ok(())
    }

    /// Sends a transaction from an unlocked account (`eth_sendTransaction`, no signing) and
    /// waits until it is mined. Returns its receipt, whatever its status.
    pub async fn send_transaction(&self, tx: TxRequest) -> Result<Receipt> {
        let from = match tx.from {
            Some(from) => from,
            None => *self
                .accounts()
                .await?
                .first()
                .context("anvil has no unlocked accounts")?,
        };
        let mut object = json!({ "from": from, "input": tx.data, "value": tx.value });
        if let Some(to) = tx.to {
            object["to"] = json!(to);
        }
        if let Some(gas) = tx.gas {
            object["gas"] = json!(U64::from(gas));
        }
        let hash: B256 = self.request("eth_sendTransaction", json!([object])).await?;
        self.wait_for_receipt(hash).await
    }

    /// Waits until the transaction with this hash is mined and returns its receipt.
    pub async fn wait_for_receipt(&self, hash: B256) -> Result<Receipt> {
        let started = Instant::now();
        loop {
            let raw: Value = self
                .request("eth_getTransactionReceipt", json!([hash]))
                .await?;
            if !raw.is_null() {
                return self.client.receipt(hash).await;
            }
            ensure!(
                started.elapsed() < MINING_TIMEOUT,
                "transaction {hash} not mined within {MINING_TIMEOUT:?} (was anvil started with \
                 --no-mining?)"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Deploys a contract from its creation bytecode (e.g. the `.bin` output of solc) and
    /// returns its address. Fails if the deployment reverts.
    pub async fn deploy(&self, creation_code: impl Into<Bytes>) -> Result<Address> {
        let receipt = self
            .send_transaction(TxRequest::create(creation_code))
            .await?;
        ensure!(
            receipt.status == Some(1),
            "deploying the contract reverted (transaction {})",
            receipt.transaction_hash
        );
        receipt
            .contract_address
            .context("the deployment receipt has no contract address")
    }

    fn stderr_text(&self) -> String {
        let text = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        if text.trim().is_empty() {
            "(no output)".to_owned()
        } else {
            text.trim().to_owned()
        }
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        // SIGTERM first: if the binary is a wrapper script (SPRIG_ANVIL or PATH may point to
        // npm's), it forwards SIGTERM to the real anvil, whereas a SIGKILL would orphan it. std
        // can only send SIGKILL, hence the `kill` command.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if terminated {
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A transaction for [`Anvil::send_transaction`].
#[derive(Clone, Debug, Default)]
pub struct TxRequest {
    /// Sender; the first unlocked account when `None`.
    pub from: Option<Address>,
    /// Recipient; `None` creates a contract from `data`.
    pub to: Option<Address>,
    /// Call data, or creation code.
    pub data: Bytes,
    /// Wei sent along.
    pub value: U256,
    /// Gas limit; anvil estimates it when `None`.
    pub gas: Option<u64>,
}

impl TxRequest {
    /// A call of `to` with `data`.
    pub fn call(to: Address, data: impl Into<Bytes>) -> Self {
        Self {
            to: Some(to),
            data: data.into(),
            ..Self::default()
        }
    }

    /// A contract creation.
    pub fn create(creation_code: impl Into<Bytes>) -> Self {
        Self {
            data: creation_code.into(),
            ..Self::default()
        }
    }

    /// The same transaction from another account.
    pub fn from(mut self, from: Address) -> Self {
        self.from = Some(from);
        self
    }

    /// The same transaction sending `value` wei.
    pub fn value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// The same transaction with a fixed gas limit.
    pub fn gas(mut self, gas: u64) -> Self {
        self.gas = Some(gas);
        self
    }
}

/// Where the anvil binary is: `$SPRIG_ANVIL`, then the npm package's anvil in
/// `<repo>/node_modules` or `/work/tools/node_modules`, then `anvil` on the `PATH`.
///
/// For an npm install this is the platform package's real binary
/// (`node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil`), not `node_modules/.bin/anvil`: that
/// one is a Node script that runs the binary as its own child, which would outlive a kill of the
/// script (and costs a Node start per node).
pub fn anvil_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SPRIG_ANVIL") {
        let path = PathBuf::from(path);
        ensure!(
            path.is_file(),
            "SPRIG_ANVIL is set to {}, which is not a file",
            path.display()
        );
        return Ok(path);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let node_modules = [
        repo.join("node_modules"),
        PathBuf::from("/work/tools/node_modules"),
    ];
    let platform_package = npm_platform_package();
    let installed = node_modules.iter().flat_map(|dir| {
        let native = platform_package
            .as_ref()
            .map(|package| dir.join("@foundry-rs").join(package).join("bin/anvil"));
        native.into_iter().chain([dir.join(".bin/anvil")])
    });
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("anvil"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if let Some(found) = installed.chain(on_path).find(|p| p.is_file()) {
        return Ok(found);
    }
    bail!(
        "anvil not found: run `npm install` in the repository root ({}) to install \
         @foundry-rs/anvil into node_modules, or set SPRIG_ANVIL to an anvil binary",
        repo.canonicalize().unwrap_or(repo).display()
    )
}

/// The npm package holding anvil's binary for this platform, named as `@foundry-rs/anvil`'s
/// wrapper names it (`anvil-linux-amd64`, `anvil-darwin-arm64`, …).
fn npm_platform_package() -> Option<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        _ => return None,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        _ => return None,
    };
    Some(format!("anvil-{os}-{arch}"))
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("no free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something on `port` answers `eth_chainId` with a result. A bare TCP connect is not
/// enough: anvil accepts connections a moment before it serves requests.
fn answers_json_rpc(port: u16) -> bool {
    let probe = || -> std::io::Result<bool> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.starts_with("HTTP/1.1 200") && answer.contains("\"result\""))
    };
    probe().unwrap_or(false)
}
