//! Shared by the end-to-end tests: run an example's emit script against a real anvil, run the real
//! `sprig` binary, query its GraphQL endpoint, and read the chain's raw logs.
//!
//! Expected results are computed from raw JSON-RPC answers with plain arithmetic, never with
//! Sprig's own crates, so a bug in Sprig cannot hide in the expectation.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{keccak256, Address, Bytes, U256};
use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};
use sprig_chain::testing::Anvil;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `sprig` binary under test.
pub fn sprig() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sprig"))
}

/// Starts anvil with a fixed genesis timestamp, so the example chains are identical every run.
pub fn anvil() -> Anvil {
    Anvil::spawn_with(&["--timestamp", "1700000000"]).expect("anvil starts (run `npm install`)")
}

/// Runs `examples/<name>/scripts/emit.mjs` against anvil and returns its JSON summary.
pub fn emit(example: &str, url: &str, count: u32) -> Value {
    emit_with(example, url, &[count.to_string()])
}

/// Runs `examples/<name>/scripts/emit.mjs URL ARGS...` and returns its JSON summary.
pub fn emit_with(example: &str, url: &str, args: &[impl AsRef<OsStr>]) -> Value {
    let script = repo()
        .join("examples")
        .join(example)
        .join("scripts/emit.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(url)
        .args(args)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("emit prints a JSON summary")
}

/// The example's built manifest.
pub fn manifest(example: &str) -> PathBuf {
    repo()
        .join("examples")
        .join(example)
        .join("build/subgraph.yaml")
}

/// A store backend an end-to-end test indexes into.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's databases live: files in a temporary directory, or databases on the
/// PostgreSQL server shared by the test process. Keep it alive while the databases are used.
pub struct Databases {
    dir: tempfile::TempDir,
    server: Option<std::sync::Arc<sprig_store::testing::Postgres>>,
}

impl Databases {
    pub fn new(backend: Backend) -> Databases {
        Databases {
            dir: tempfile::tempdir().unwrap(),
            server: match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(sprig_store::testing::Postgres::shared().unwrap()),
            },
        }
    }

    /// A new, empty database for `--db`: a SQLite file called `name`, or a fresh PostgreSQL
    /// database.
    pub fn create(&self, name: &str) -> String {
        match &self.server {
            None => self.dir.path().join(name).display().to_string(),
            Some(server) => server.create_database().unwrap(),
        }
    }

    /// A scratch directory for the test's other files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Runs `sprig index` to completion.
pub fn index(example: &str, url: &str, db: impl AsRef<OsStr>, until: u64) -> Output {
    sprig()
        .arg("index")
        .arg(manifest(example))
        .args(["--rpc", url, "--until", &until.to_string()])
        .arg("--db")
        .arg(db)
        .output()
        .expect("sprig runs")
}

/// `sprig poi` of subgraph `name` at `block`.
pub fn poi(db: impl AsRef<OsStr>, name: &str, block: u64) -> String {
    let out = sprig()
        .arg("poi")
        .arg("--db")
        .arg(db)
        .args(["--name", name, "--block", &block.to_string()])
        .output()
        .expect("sprig runs");
    assert_ok(&out);
    let poi = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(poi.starts_with("0x") && poi.len() == 66, "{poi}");
    poi
}

/// Asserts a command succeeded, showing its stderr otherwise.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "sprig failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `sprig serve`, killed on drop.
pub struct Server {
    child: Option<Child>,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port nobody listens on (for `--listen`).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `sprig serve --db <db>` on a free port and waits until it answers.
pub fn serve(db: impl AsRef<OsStr>) -> Server {
    let port = free_port();
    let child = sprig()
        .arg("serve")
        .arg("--db")
        .arg(db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sprig serve starts");
    let server = Server {
        child: Some(child),
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "sprig serve did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

impl Server {
    /// A server started elsewhere (e.g. by `sprig dev`) on this port; not killed on drop.
    pub fn attach(port: u16) -> Server {
        Server {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Runs a GraphQL query against subgraph `name`; fails on GraphQL errors.
    pub async fn query(&self, name: &str, query: &str) -> Result<Value> {
        let response = self.query_raw(name, query).await?;
        if let Some(errors) = response.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(response["data"].clone())
    }

    /// Runs a GraphQL query and returns the whole response (data and errors).
    pub async fn query_raw(&self, name: &str, query: &str) -> Result<Value> {
        let response = reqwest::Client::new()
            .post(format!("{}/subgraphs/name/{name}", self.url))
            .json(&json!({ "query": query }))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.context("response is JSON")?;
        ensure!(
            status.is_success() || body.get("errors").is_some(),
            "HTTP {status}: {body}"
        );
        Ok(body)
    }

    /// Every entity of a collection, paged with `id_gt` as graph-node clients do.
    pub async fn all(&self, name: &str, collection: &str, fields: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut last = String::new();
        loop {
            let filter = if last.is_empty() {
                String::new()
            } else {
                format!(", where: {{ id_gt: \"{last}\" }}")
            };
            let q = format!("{{ {collection}(first: 1000, orderBy: id{filter}) {{ {fields} }} }}");
            let data = self.query(name, &q).await?;
            let page = data[collection].as_array().cloned().unwrap_or_default();
            let done = page.len() < 1000;
            if let Some(l) = page.last() {
                last = l["id"].as_str().unwrap_or_default().to_string();
            }
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }
}

/// Deploys `examples/busy`'s contract from account 0 at nonce 0, the address its manifest names.
pub async fn deploy_busy(anvil: &Anvil) -> Address {
    let bin = std::fs::read_to_string(repo().join("examples/busy/contracts/out/Busy.bin")).unwrap();
    let address = anvil
        .deploy(alloy::hex::decode(bin.trim()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        address,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            .parse::<Address>()
            .unwrap()
    );
    address
}

/// Call data of a one-`uint256` function.
pub fn calldata(signature: &str, arg: u64) -> Bytes {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    data.extend_from_slice(&U256::from(arg).to_be_bytes::<32>());
    data.into()
}

/// A raw JSON-RPC request.
pub async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body: Value = reqwest::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .expect("node answers")
        .json()
        .await
        .expect("JSON-RPC answer");
    assert!(body.get("error").is_none(), "{method}: {body}");
    body["result"].clone()
}

/// A log as the node returns it, with the few fields the expectations need.
#[derive(Clone, Debug)]
pub struct RawLog {
    pub address: String,
    pub topics: Vec<Vec<u8>>,
    pub data: Vec<u8>,
    pub block_number: u64,
    pub log_index: u64,
    pub transaction_hash: Vec<u8>,
}

/// All logs of `address` up to `to_block`, in chain order.
pub async fn logs(url: &str, address: &str, to_block: u64) -> Vec<RawLog> {
    get_logs(
        url,
        json!({ "fromBlock": "0x0", "toBlock": format!("0x{to_block:x}"), "address": address }),
    )
    .await
}

/// Every log of every contract from `from_block` to `to_block`, in chain order.
pub async fn all_logs(url: &str, from_block: u64, to_block: u64) -> Vec<RawLog> {
    get_logs(
        url,
        json!({ "fromBlock": format!("0x{from_block:x}"), "toBlock": format!("0x{to_block:x}") }),
    )
    .await
}

/// `eth_getLogs` with `filter`, sorted by block and log index.
async fn get_logs(url: &str, filter: Value) -> Vec<RawLog> {
    let result = rpc(url, "eth_getLogs", json!([filter])).await;
    let mut logs: Vec<RawLog> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|l| RawLog {
            address: l["address"].as_str().unwrap().to_lowercase(),
            topics: l["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| hex(t.as_str().unwrap()))
                .collect(),
            data: hex(l["data"].as_str().unwrap()),
            block_number: quantity(&l["blockNumber"]),
            log_index: quantity(&l["logIndex"]),
            transaction_hash: hex(l["transactionHash"].as_str().unwrap()),
        })
        .collect();
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    logs
}

/// The timestamp of a block.
pub async fn block_timestamp(url: &str, number: u64) -> u64 {
    let block = rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("0x{number:x}"), false]),
    )
    .await;
    quantity(&block["timestamp"])
}

pub fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

pub fn hex(s: &str) -> Vec<u8> {
    let s = s.trim_start_matches("0x");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    let mut s = String::from("0x");
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

/// keccak256 of an event signature: topic0.
pub fn topic0(signature: &str) -> Vec<u8> {
    alloy::primitives::keccak256(signature.as_bytes()).to_vec()
}

/// The id graph-ts's `tx.hash.concatI32(logIndex)` makes: hash bytes then the i32 little-endian.
pub fn concat_i32_id(tx_hash: &[u8], log_index: u64) -> String {
    let mut id = tx_hash.to_vec();
    id.extend_from_slice(&(log_index as i32).to_le_bytes());
    to_hex(&id)
}

/// Formats `value / 10^decimals` exactly, without trailing zeros: what graph-node's BigDecimal
/// prints for a quotient with fewer than 34 significant digits.
pub fn decimal_string(value: &num_like::Signed, decimals: u32) -> String {
    let (negative, digits) = (value.negative, value.magnitude.to_string());
    let d = decimals as usize;
    let padded = format!("{digits:0>width$}", width = d + 1);
    let (int, frac) = padded.split_at(padded.len() - d);
    let frac = frac.trim_end_matches('0');
    let mut s = String::new();
    if negative && digits != "0" {
        s.push('-');
    }
    s.push_str(int);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    s
}

/// A signed 256-bit-ish integer for balances (alloy's U256 magnitude and a sign).
pub mod num_like {
    use alloy::primitives::U256;

    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Signed {
        pub negative: bool,
        pub magnitude: U256,
    }

    impl Signed {
        pub fn add(self, v: U256) -> Signed {
            if !self.negative {
                Signed {
                    negative: false,
                    magnitude: self.magnitude + v,
                }
            } else if self.magnitude > v {
                Signed {
                    negative: true,
                    magnitude: self.magnitude - v,
                }
            } else {
                Signed {
                    negative: false,
                    magnitude: v - self.magnitude,
                }
            }
        }

        pub fn sub(self, v: U256) -> Signed {
            if self.negative {
                Signed {
                    negative: true,
                    magnitude: self.magnitude + v,
                }
            } else if self.magnitude >= v {
                Signed {
                    negative: false,
                    magnitude: self.magnitude - v,
                }
            } else {
                Signed {
                    negative: true,
                    magnitude: v - self.magnitude,
                }
            }
        }

        pub fn to_decimal(self) -> String {
            if self.negative && !self.magnitude.is_zero() {
                format!("-{}", self.magnitude)
            } else {
                self.magnitude.to_string()
            }
        }
    }
}

/// Waits until subgraph `name`, followed by `sprig dev` behind `server`, is at the chain's head
/// block with the chain's hash (after a reorg too); returns the head's number.
pub async fn wait_for_head(server: &Server, url: &str, name: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let head = quantity(&rpc(url, "eth_blockNumber", json!([])).await);
        let block = rpc(
            url,
            "eth_getBlockByNumber",
            json!([format!("0x{head:x}"), false]),
        )
        .await;
        if let Ok(data) = server
            .query(name, "{ _meta { block { number hash } } }")
            .await
        {
            if data["_meta"]["block"]["number"] == json!(head)
                && data["_meta"]["block"]["hash"] == block["hash"]
            {
                return head;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the index did not reach head {head}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `sprig dev` of `example` following `rpc` into `db`, serving GraphQL on `port`: extend it
/// with more flags, then [`Dev::start`] it.
pub fn dev_command(example: &str, rpc: &str, db: impl AsRef<OsStr>, port: u16) -> Command {
    let mut command = sprig();
    command
        .arg("dev")
        .arg(manifest(example))
        .args(["--rpc", rpc, "--listen", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(db);
    command
}

/// A running `sprig dev` (or `sprig index`) whose stderr lines are collected with the time each arrived; killed on
/// drop.
pub struct Dev {
    child: Child,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Dev {
    pub fn start(command: &mut std::process::Command) -> Dev {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sprig dev starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = lines.clone();
        // A thread, not a task: a line's time is when it was written, whatever the test's
        // runtime is doing.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        Dev { child, lines }
    }

    /// When the first line containing `needle` arrived, waiting for it up to `timeout`.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((at, _)) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|(_, line)| line.contains(needle))
            {
                return *at;
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "no {needle:?} line from sprig dev:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its exit status, if it has exited.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            std::thread::sleep(Duration::from_millis(100));
            panic!("sprig dev exited ({status}):\n{}", self.stderr());
        }
    }

    /// Stops it as Ctrl-C would (SIGINT: the indexer finishes its block and exits) and waits
    /// for the exit; panics unless it exits cleanly.
    pub fn interrupt(&mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -INT failed");
        let exit = self.child.wait().unwrap();
        // The stderr thread reads until the pipe closes: give it the last lines.
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            exit.success(),
            "sprig exited with {exit}:\n{}",
            self.stderr()
        );
    }

    pub fn stderr(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
