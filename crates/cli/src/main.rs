//! `sprig`: index a subgraph built by graph-cli from an Ethereum node, and serve it over GraphQL.

mod graft;
mod progress;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use sprig_arweave::ArweaveClient;
use sprig_chain::rpc::RpcClient;
use sprig_indexer::{Indexer, IndexerConfig, StopReason};
use sprig_ipfs::IpfsClient;
use sprig_manifest::Manifest;
use sprig_runtime::{IpfsSettings, MappingRuntime, RuntimeConfig};
use sprig_store::Store;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "sprig",
    version,
    about = "A fast, deterministic indexer for The Graph subgraphs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index a subgraph into the database (follows the chain head unless --until is given).
    Index(IndexArgs),
    /// Serve the subgraphs of a database over GraphQL.
    Serve(ServeArgs),
    /// Index (following the chain head) and serve in one process.
    Dev(DevArgs),
    /// Show each subgraph's latest block, health and error (and the chain head, given --rpc).
    Status(StatusArgs),
    /// Print a subgraph's proof of indexing (graph-node's fast algorithm) as 0x-hex.
    Poi(PoiArgs),
}

#[derive(Args)]
struct PoiArgs {
    /// The database: a SQLite file or a postgres:// URL [default: the only file in .sprig/].
    #[arg(long, env = "SPRIG_DB")]
    db: Option<String>,
    /// The subgraph.
    #[arg(long)]
    name: String,
    /// The block [default: the latest indexed block].
    #[arg(long)]
    block: Option<u64>,
    /// The deployment id hashed into the proof (graph-node uses the manifest's IPFS hash)
    /// [default: the id recorded with `sprig index --deployment-id`, else the subgraph's name].
    #[arg(long)]
    deployment: Option<String>,
    /// The indexer's address (0x-hex, 20 bytes) [default: none].
    #[arg(long)]
    indexer: Option<String>,
    /// An Ethereum JSON-RPC endpoint, to look up the block's hash when Sprig did not store it.
    #[arg(long, env = "SPRIG_RPC")]
    rpc: Option<String>,
}

#[derive(Args)]
struct StatusArgs {
    /// The database: a SQLite file or a postgres:// URL [default: the only file in .sprig/].
    #[arg(long, env = "SPRIG_DB")]
    db: Option<String>,
    /// Only this subgraph.
    #[arg(long)]
    name: Option<String>,
    /// An Ethereum JSON-RPC endpoint, to show the chain head and how far behind each subgraph is.
    #[arg(long, env = "SPRIG_RPC")]
    rpc: Option<String>,
}

#[derive(Args)]
struct SubgraphArgs {
    /// graph-cli's build output: `build/subgraph.yaml`.
    manifest: PathBuf,
    /// The Ethereum JSON-RPC endpoint.
    #[arg(long, env = "SPRIG_RPC")]
    rpc: String,
    /// The subgraph's name [default: the folder that holds `build/`].
    #[arg(long)]
    name: Option<String>,
    /// The database: a SQLite file, or a postgres:// URL to use PostgreSQL
    /// [default: .sprig/<name>.sqlite].
    #[arg(long, env = "SPRIG_DB")]
    db: Option<String>,
    /// Gas (wasmtime fuel) each handler may use.
    #[arg(long)]
    gas_limit: Option<u64>,
    /// Wall-clock seconds a handler may run before the block is retried (time spent waiting on
    /// the node for `ethereum.call` does not count) [default: no limit].
    #[arg(long)]
    handler_timeout: Option<f64>,
    /// How many times a block that failed non-deterministically (an RPC error, a handler
    /// timeout) is retried before indexing halts; 0 halts at the first failure [default: 10].
    #[arg(long)]
    max_retries: Option<u32>,
    /// Seconds before the first retry; the wait doubles with each further retry, up to 60 s (or
    /// this value, if larger) [default: 0.5].
    #[arg(long)]
    retry_backoff: Option<f64>,
    /// Where compiled mappings are cached [default: wasm-cache/ beside the database].
    #[arg(long, conflicts_with = "no_wasm_cache")]
    wasm_cache_dir: Option<PathBuf>,
    /// Compile mappings on every start instead of caching them.
    #[arg(long)]
    no_wasm_cache: bool,
    /// The deepest chain reorganisation to follow by reverting; a deeper one stops indexing.
    /// A graft's base must be this many blocks past the graft block (graph-node's rule).
    #[arg(long, default_value_t = 250)]
    reorg_threshold: u64,
    /// This deployment's id, as graph-node knows it: the IPFS hash of the manifest that
    /// `graph build --ipfs` / `graph deploy` print (`Qm...`). Recorded, so that another
    /// subgraph's `graft.base` finds this one, and used by `sprig poi`.
    #[arg(long)]
    deployment_id: Option<String>,
    /// The deployment (by name, in the same database) that the manifest's `graft.base` means,
    /// when no deployment was recorded under that id [default: the deployment whose recorded
    /// id, else whose name, is `graft.base`].
    #[arg(long)]
    graft_base: Option<String>,
    /// The most blocks asked for in one `eth_getLogs` (graph-node's
    /// `GRAPH_ETHEREUM_MAX_BLOCK_RANGE_SIZE`). The last block of every range is fetched, so a
    /// chain whose history starts above the subgraph's start block (`anvil --number`) needs a
    /// range that reaches past that gap [default: 2000].
    #[arg(long)]
    max_block_range: Option<u64>,
    /// IPFS HTTP gateway for `ipfs.cat` / `ipfs.getBlock` / `ipfs.map` (e.g.
    /// http://127.0.0.1:8080); blocks are fetched raw and verified against their CIDs, so any
    /// gateway will do.
    #[arg(long, env = "SPRIG_IPFS")]
    ipfs: Option<String>,
    /// Seconds one IPFS read may take before the block is retried.
    #[arg(long, default_value_t = 60.0)]
    ipfs_timeout: f64,
    /// Largest file `ipfs.cat` returns (larger files are null) and largest file a file data
    /// source (`file/ipfs` or `file/arweave`) handles (a larger one is never processed); one
    /// limit for both, as graph-node's GRAPH_MAX_IPFS_FILE_BYTES (default: 25 MiB).
    #[arg(long, default_value_t = 25 * 1024 * 1024)]
    ipfs_max_file_bytes: u64,
    /// Largest file `ipfs.map` reads; a larger one fails the handler (graph-node's default:
    /// 256 MiB).
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    ipfs_max_map_file_bytes: u64,
    /// Arweave HTTP gateway the files of `file/arweave` data sources come from
    /// (`GET <URL>/<txid>`; graph-node's default).
    #[arg(long, env = "SPRIG_ARWEAVE", default_value = sprig_arweave::DEFAULT_GATEWAY)]
    arweave: String,
    /// Seconds one Arweave request may take before the file is asked for again.
    #[arg(long, default_value_t = 60.0)]
    arweave_timeout: f64,
}

#[derive(Args)]
struct IndexArgs {
    #[command(flatten)]
    subgraph: SubgraphArgs,
    /// Stop once this block is indexed.
    #[arg(long)]
    until: Option<u64>,
}

#[derive(Args)]
struct ServeArgs {
    /// The database: a SQLite file or a postgres:// URL [default: the only file in .sprig/].
    #[arg(long, env = "SPRIG_DB")]
    db: Option<String>,
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
}

#[derive(Args)]
struct DevArgs {
    #[command(flatten)]
    subgraph: SubgraphArgs,
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SPRIG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    match cli.command {
        Command::Index(args) => {
            let shutdown = shutdown_signal();
            let prepared = prepare(&args.subgraph, args.until).await?;
            index(prepared, shutdown).await
        }
        Command::Serve(args) => {
            let (db, store) = open_existing_store(args.db)?;
            let server = sprig_graphql::QueryServer::new();
            let names = store.deployment_names()?;
            if names.is_empty() {
                bail!("{db} holds no subgraph yet; index one first");
            }
            for name in &names {
                let deployment = store.open_deployment(name)?;
                server.add_subgraph(
                    name,
                    name,
                    deployment.schema().clone(),
                    Arc::new(deployment),
                )?;
            }
            serve(server, args.listen, shutdown_signal()).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Status(args) => status(args).await,
        Command::Poi(args) => poi(args).await,
        Command::Dev(args) => {
            let shutdown = shutdown_signal();
            let prepared = prepare(&args.subgraph, None).await?;
            let server = sprig_graphql::QueryServer::new();
            server.add_subgraph(
                &prepared.name,
                &prepared.name,
                prepared.manifest.schema.clone(),
                Arc::new(prepared.deployment.clone()),
            )?;
            let (metrics, name) = (prepared.indexer.metrics(), prepared.name.clone());
            server.set_metrics(Arc::new(move || metrics.render(&name)));
            let server = tokio::spawn(serve(server, args.listen, shutdown.clone()));
            let code = index(prepared, shutdown).await?;
            server.abort();
            Ok(code)
        }
    }
}

/// Everything `index` needs, checked before any block is fetched.
struct Prepared {
    name: String,
    /// Where the store is, for messages.
    db: String,
    manifest: Arc<Manifest>,
    deployment: sprig_store::Deployment,
    indexer: Indexer,
}

async fn prepare(args: &SubgraphArgs, until: Option<u64>) -> Result<Prepared> {
    let manifest = Arc::new(Manifest::load(&args.manifest)?);
    let indexer_config = indexer_config(args, until)?
        .with_prune(manifest.prune)
        .with_context(|| format!("invalid manifest {}", args.manifest.display()))?;
    let name = match &args.name {
        Some(n) => {
            sprig_graphql::check_name(n)?;
            n.clone()
        }
        None => {
            let name = default_name(&args.manifest)?;
            sprig_graphql::check_name(&name).context(
                "the subgraph's name comes from its folder's; pass --name to choose another",
            )?;
            name
        }
    };
    let db = args.db.clone().unwrap_or_else(|| {
        Path::new(".sprig")
            .join(format!("{name}.sqlite"))
            .display()
            .to_string()
    });
    let store = open_store(&db)?;
    let rpc = RpcClient::connect(&args.rpc)?;
    let request = graft::Request {
        name: &name,
        deployment_id: args.deployment_id.as_deref(),
        graft_base: args.graft_base.as_deref(),
        reorg_threshold: args.reorg_threshold,
        db: &db,
    };
    let origin = graft::origin(&manifest, &store, &rpc, &request).await?;
    let deployment = store.deployment_from(&name, manifest.schema.clone(), &origin)?;
    let mut config = RuntimeConfig::default();
    if let Some(gas) = args.gas_limit {
        config.gas_limit = gas;
    }
    if let Some(secs) = args.handler_timeout {
        if !(secs.is_finite() && secs > 0.0) {
            bail!("--handler-timeout must be a positive number of seconds, not {secs}");
        }
        config.timeout = Some(std::time::Duration::from_secs_f64(secs));
    }
    config.cache_dir = if args.no_wasm_cache {
        None
    } else {
        Some(args.wasm_cache_dir.clone().unwrap_or_else(|| {
            match &store {
                Store::Sqlite(sqlite) => sqlite
                    .path()
                    .parent()
                    .unwrap_or_else(|| Path::new("."))
                    .join("wasm-cache"),
                Store::Postgres(_) => Path::new(".sprig").join("wasm-cache"),
            }
        }))
    };
    let runtime = MappingRuntime::with_ipfs(config, ipfs_settings(args)?)?;
    let indexer = Indexer::new(
        manifest.clone(),
        rpc,
        Arc::new(deployment.clone()),
        runtime,
        indexer_config,
    )?;
    Ok(Prepared {
        name,
        db,
        manifest,
        deployment,
        indexer,
    })
}

/// The IPFS gateway and limits from `--ipfs*`, if a gateway is given.
fn ipfs_settings(args: &SubgraphArgs) -> Result<Option<IpfsSettings>> {
    let Some(url) = &args.ipfs else {
        return Ok(None);
    };
    let timeout = std::time::Duration::try_from_secs_f64(args.ipfs_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            anyhow!(
                "--ipfs-timeout must be a positive number of seconds, not {}",
                args.ipfs_timeout
            )
        })?;
    let client = IpfsClient::new(url, timeout).context("--ipfs")?;
    Ok(Some(IpfsSettings {
        max_file_bytes: args.ipfs_max_file_bytes,
        max_map_file_bytes: args.ipfs_max_map_file_bytes,
        ..IpfsSettings::new(client)
    }))
}

/// The indexing loop's settings from the flags, defaults from [`IndexerConfig`].
fn indexer_config(args: &SubgraphArgs, until: Option<u64>) -> Result<IndexerConfig> {
    let mut config = IndexerConfig {
        until,
        reorg_threshold: args.reorg_threshold,
        ..IndexerConfig::default()
    };
    if let Some(retries) = args.max_retries {
        config.max_retries = retries;
    }
    if let Some(range) = args.max_block_range {
        if range == 0 {
            bail!("--max-block-range must be at least 1");
        }
        config.max_range = range;
    }
    if let Some(secs) = args.retry_backoff {
        let backoff = std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
            anyhow!("--retry-backoff must be a number of seconds, 0 or more, not {secs}")
        })?;
        config.retry_backoff = backoff;
        config.max_retry_backoff = config.max_retry_backoff.max(backoff);
    }
    let arweave_timeout = std::time::Duration::try_from_secs_f64(args.arweave_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            anyhow!(
                "--arweave-timeout must be a positive number of seconds, not {}",
                args.arweave_timeout
            )
        })?;
    config.arweave = Some(
        ArweaveClient::new(&args.arweave, arweave_timeout, args.ipfs_max_file_bytes)
            .context("--arweave")?,
    );
    Ok(config)
}

async fn index(
    mut prepared: Prepared,
    shutdown: watch::Receiver<bool>,
) -> Result<std::process::ExitCode> {
    eprintln!("indexing `{}` into {}", prepared.name, prepared.db);
    let mut bar = progress::Bar::new();
    let outcome = prepared.indexer.run(shutdown, |p| bar.update(p)).await;
    bar.finish();
    match outcome? {
        StopReason::ReachedUntil(n) => {
            eprintln!("indexed `{}` up to block {n}", prepared.name);
            Ok(std::process::ExitCode::SUCCESS)
        }
        StopReason::Shutdown { head } => {
            match head {
                Some(h) => eprintln!("stopped; `{}` is indexed up to block {h}", prepared.name),
                None => eprintln!("stopped before the first block"),
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        StopReason::Failed(failure) => {
            eprintln!(
                "error: subgraph `{}` failed at block {}: {}",
                prepared.name, failure.block.number, failure.message
            );
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

async fn serve(
    server: sprig_graphql::QueryServer,
    listen: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    for name in server.names() {
        eprintln!("GraphQL: http://{addr}/subgraphs/name/{name}");
    }
    server
        .serve(listener, async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await
        .context("GraphQL server")
}

/// `sprig poi`: the proof of indexing at a block.
async fn poi(args: PoiArgs) -> Result<std::process::ExitCode> {
    use sprig_store::WritableStore;

    let (_, store) = open_existing_store(args.db)?;
    let deployment = store.open_deployment(&args.name)?;
    let status = deployment.status()?;
    let head = status
        .head
        .ok_or_else(|| anyhow!("`{}` has not indexed any block yet", args.name))?;
    let number = args.block.unwrap_or(head.number);
    if number > head.number {
        bail!(
            "`{}` is indexed up to block {}, not yet block {number}",
            args.name,
            head.number
        );
    }
    if number < status.earliest_block {
        bail!(
            "`{}` keeps history from block {} on (indexerHints.prune); the proof of indexing at block {number} is gone",
            args.name,
            status.earliest_block
        );
    }
    let stored = deployment
        .recent_blocks(usize::MAX)?
        .into_iter()
        .find(|(ptr, _)| ptr.number == number)
        .map(|(ptr, _)| ptr.hash);
    let hash = match (stored, &args.rpc) {
        (Some(hash), _) => hash,
        (None, Some(url)) => RpcClient::connect(url)?.block_hash(number).await?.0,
        (None, None) => bail!(
            "Sprig did not store the hash of block {number} (it had no triggers); pass --rpc to look it up"
        ),
    };
    let indexer = args
        .indexer
        .as_deref()
        .map(|a| {
            let bytes = sprig_value::from_hex(a)?;
            <[u8; 20]>::try_from(bytes.as_slice())
                .map_err(|_| anyhow!("--indexer must be a 20-byte address, not `{a}`"))
        })
        .transpose()?;
    let regions = deployment.poi_digests(number)?;
    let recorded = store
        .deployments()?
        .into_iter()
        .find(|d| d.name == args.name)
        .and_then(|d| d.id);
    let digest = sprig_poi::finish_poi(
        args.deployment
            .as_deref()
            .or(recorded.as_deref())
            .unwrap_or(&args.name),
        hash,
        indexer,
        number,
        &regions,
    )?;
    println!("{}", sprig_value::to_hex(&digest));
    Ok(std::process::ExitCode::SUCCESS)
}

/// `sprig status`: one block of lines per subgraph.
async fn status(args: StatusArgs) -> Result<std::process::ExitCode> {
    let (_, store) = open_existing_store(args.db)?;
    let names = match args.name {
        Some(name) => vec![name],
        None => store.deployment_names()?,
    };
    let chain_head = match &args.rpc {
        Some(url) => Some(RpcClient::connect(url)?.latest_block_number().await?),
        None => None,
    };
    if let Some(head) = chain_head {
        println!("chain head: block {head}");
    }
    let mut healthy = true;
    let summaries = store.deployments()?;
    for name in names {
        let status = store.open_deployment(&name)?.status()?;
        println!("{name}:");
        if let Some(summary) = summaries.iter().find(|d| d.name == name) {
            if let Some(id) = &summary.id {
                println!("  deployment:   {id}");
            }
            if let Some((base, block)) = &summary.graft {
                println!("  grafted onto: `{base}` at block {block}");
            }
        }
        match status.head {
            Some(head) => {
                print!("  latest block: {}", head.number);
                if let Some(chain) = chain_head {
                    print!(
                        " ({} behind the chain head)",
                        chain.saturating_sub(head.number)
                    );
                }
                println!("\n  block hash:   {}", sprig_value::to_hex(&head.hash));
            }
            None => println!("  latest block: none yet"),
        }
        match status.failure {
            None => println!("  health:       healthy"),
            Some(f) => {
                healthy = false;
                if f.fatal {
                    println!("  health:       failed at block {}", f.block.number);
                } else {
                    println!(
                        "  health:       unhealthy (nonFatalErrors), error at block {}",
                        f.block.number
                    );
                }
                if let Some(handler) = f.handler {
                    println!("  handler:      {handler}");
                }
                println!("  error:        {}", f.message);
            }
        }
    }
    Ok(if healthy {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

/// A receiver that turns true on the first Ctrl-C (the block in flight finishes first); a second
/// Ctrl-C exits at once.
fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping after the block in flight (Ctrl-C again to exit now)");
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    rx
}

/// The name of the folder that holds `build/` (for `examples/erc20/build/subgraph.yaml`,
/// `erc20`).
fn default_name(manifest: &Path) -> Result<String> {
    let manifest = std::path::absolute(manifest)?;
    let build_dir = manifest
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent folder", manifest.display()))?;
    let project = if build_dir.file_name().is_some_and(|n| n == "build") {
        build_dir.parent().unwrap_or(build_dir)
    } else {
        build_dir
    };
    project
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| {
            anyhow!(
                "cannot derive a subgraph name from {}; pass --name",
                manifest.display()
            )
        })
}

/// Opens the database (a SQLite file is created if missing).
fn open_store(db: &str) -> Result<Store> {
    Store::open(db).with_context(|| {
        if Store::is_postgres_url(db) {
            "cannot open the PostgreSQL database".to_string()
        } else {
            format!("cannot open database {db}")
        }
    })
}

/// Opens the database given by `--db`, or the only one in `.sprig/`; returns its location for
/// messages.
fn open_existing_store(db: Option<String>) -> Result<(String, Store)> {
    let db = match db {
        Some(db) => db,
        None => default_db()?.display().to_string(),
    };
    let store = open_store(&db)?;
    Ok((store.location(), store))
}

/// The database in `.sprig/` when there is exactly one.
fn default_db() -> Result<PathBuf> {
    let dir = Path::new(".sprig");
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|_| anyhow!("no database given and no .sprig/ folder here; pass --db"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite"))
        .collect();
    match files.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(anyhow!("no database in .sprig/; pass --db")),
        _ => Err(anyhow!("several databases in .sprig/; pass --db")),
    }
}
