//! The built `subgraph.yaml`: data sources, templates, mappings, handlers and ABIs.
//!
//! [`Manifest::load`] reads graph-cli's `build/subgraph.yaml` and every file it links to (schema,
//! ABIs, wasm), resolving links relative to the manifest's folder, and checks graph-node's
//! validation rules.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use alloy::json_abi::{Event, Function, JsonAbi, StateMutability};
use alloy::primitives::{keccak256, Address, B256};
use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::Deserialize;
use sprig_value::{Entity, Value};

use crate::declared_calls::{self, DeclaredCall};
use crate::schema::{self, Schema};

/// A `major.minor.patch` version (`specVersion`, `apiVersion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl FromStr for Version {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let [a, b, c] = parts.as_slice() else {
            bail!("`{s}` is not a version of the form major.minor.patch");
        };
        let num = |p: &str| {
            p.parse::<u32>()
                .map_err(|_| anyhow!("`{s}` is not a version of the form major.minor.patch"))
        };
        Ok(Version(num(a)?, num(b)?, num(c)?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The oldest and newest `specVersion` graph-node accepts.
pub const MIN_SPEC_VERSION: Version = Version(0, 0, 2);
pub const MAX_SPEC_VERSION: Version = Version(1, 5, 0);
/// The newest mapping `apiVersion` graph-node accepts.
pub const MAX_API_VERSION: Version = Version(0, 0, 9);

/// A resolved, validated subgraph manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub spec_version: Version,
    /// The folder holding the manifest; links are relative to it.
    pub dir: PathBuf,
    pub schema: Arc<Schema>,
    pub data_sources: Vec<DataSource>,
    pub templates: Vec<DataSourceTemplate>,
    /// Declared `features:`.
    pub features: Vec<String>,
    /// `indexerHints.prune`: how much entity history to keep.
    pub prune: Prune,
    /// `graft:`: start from a copy of another deployment's data at a block.
    pub graft: Option<Graft>,
}

/// A manifest's `graft: { base, block }`: the new deployment starts with the entities, data
/// sources and proof of indexing the deployment `base` had at `block`, and indexes from the
/// next block on (graph-node's grafting; the `grafting` feature must be declared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graft {
    /// The base deployment's id: in graph-node its IPFS hash (`Qm...`). Sprig matches it against
    /// the deployment ids its store recorded, then against deployment names.
    pub base: String,
    /// The last block taken from the base.
    pub block: u64,
}

/// How many blocks of entity history a subgraph asks the indexer to keep
/// (`indexerHints: { prune: ... }`, specVersion 1.0.0 and later). History serves time-travel
/// queries and reverts; versions older than that may be deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prune {
    /// Keep all history (`never`, and the default without `indexerHints`).
    #[default]
    Never,
    /// Keep as little as the indexer needs to handle reorgs (`auto`: graph-node keeps twice
    /// its reorg threshold).
    Auto,
    /// Keep this many blocks.
    Blocks(u64),
}

/// A contract data source (`kind: ethereum`).
#[derive(Clone, Debug)]
pub struct DataSource {
    pub name: String,
    pub network: String,
    pub source: Source,
    pub mapping: Mapping,
    /// The manifest's `context:` map, if any.
    pub context: Option<Entity>,
}

/// Where a data source's triggers come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// `None` matches the events of any contract (no block handlers then).
    pub address: Option<Address>,
    /// The name of the ABI (among `mapping.abis`) the events are decoded with.
    pub abi: String,
    pub start_block: u64,
    /// The last block this data source processes.
    pub end_block: Option<u64>,
}

/// A template that mappings instantiate with `dataSource.create`.
#[derive(Clone, Debug)]
pub struct DataSourceTemplate {
    pub name: String,
    /// Empty for a file template, which has no network.
    pub network: String,
    /// The ABI the created data sources' events are decoded with (empty for a file template).
    pub abi: String,
    pub mapping: Mapping,
    /// What the created data sources follow.
    pub kind: TemplateKind,
}

/// What the data sources created from a template follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    /// A contract (`kind: ethereum`): `dataSource.create` passes its address.
    Ethereum,
    /// A file (`kind: file/ipfs` or `file/arweave`, specVersion 0.0.7 and later):
    /// `dataSource.create` passes its name on `source` (a CID or Arweave transaction id,
    /// optionally with a path), and `handler` receives the file's bytes once. Its mapping's
    /// `entities` are the only types it may write (unknown names dropped).
    File { handler: String, source: FileSource },
}

/// Where a file template's files come from (graph-node's offchain data source kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileSource {
    /// `file/ipfs`: an IPFS path, `<CID>[/<path>]`.
    Ipfs,
    /// `file/arweave`: an Arweave transaction id, `<txid>[/<path>]`.
    Arweave,
}

impl FileSource {
    /// The template kind as the manifest spells it.
    pub fn kind(self) -> &'static str {
        match self {
            FileSource::Ipfs => "file/ipfs",
            FileSource::Arweave => "file/arweave",
        }
    }
}

impl DataSourceTemplate {
    /// Whether this is a file (`file/ipfs` or `file/arweave`) template.
    pub fn is_file(&self) -> bool {
        matches!(self.kind, TemplateKind::File { .. })
    }

    /// Where this template's files come from, if it is a file template.
    pub fn file_source(&self) -> Option<FileSource> {
        match self.kind {
            TemplateKind::File { source, .. } => Some(source),
            TemplateKind::Ethereum => None,
        }
    }
}

/// A contract ABI from `mapping.abis`.
#[derive(Clone, Debug)]
pub struct Abi {
    pub name: String,
    pub contract: JsonAbi,
}

/// The code that handles a data source's triggers.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub api_version: Version,
    pub entities: Vec<String>,
    pub abis: Arc<Vec<Abi>>,
    pub event_handlers: Vec<EventHandler>,
    pub block_handlers: Vec<BlockHandler>,
    pub call_handlers: Vec<CallHandler>,
    /// The wasm file, as linked in the manifest (resolved path).
    pub file: PathBuf,
    /// The wasm bytes; shared by every mapping that links the same file.
    pub wasm: Arc<Vec<u8>>,
}

/// An `eventHandlers` entry.
#[derive(Clone, Debug)]
pub struct EventHandler {
    /// The signature as written, e.g. `Transfer(indexed address,indexed address,uint256)`.
    pub event: String,
    /// The topic the log must carry first (computed from the signature unless overridden).
    pub topic0: B256,
    /// `topic1`..`topic3` filters: for each position, the accepted values (empty = any).
    pub topic_filters: [Vec<B256>; 3],
    pub handler: String,
    /// Whether the handler receives the transaction receipt.
    pub receipt: bool,
    /// The ABI event the log is decoded with.
    pub abi_event: Event,
    /// Declared `eth_call`s (`calls:`), made before the handler runs so that its own calls are
    /// answered without a round trip.
    pub calls: Vec<DeclaredCall>,
}

/// A `blockHandlers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHandler {
    pub handler: String,
    pub filter: BlockHandlerFilter,
}

/// Which blocks a block handler runs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockHandlerFilter {
    /// Every block.
    Every,
    /// Blocks with a call to the data source's address.
    Call,
    /// Only the data source's start block, before any other trigger.
    Once,
    /// Every `n`-th block counting from the start block.
    Polling(u64),
}

/// A `callHandlers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallHandler {
    /// The signature as written, e.g. `register(uint256,string)`.
    pub function: String,
    /// The first four bytes of keccak256 of `function` exactly as written (graph-node does not
    /// normalise it), which a call's input must start with.
    pub selector: [u8; 4],
    pub handler: String,
    /// The ABI function of the data source's `source.abi` whose inputs and outputs decode the
    /// call.
    pub abi_function: Function,
}

impl Manifest {
    /// Loads `subgraph.yaml` (graph-cli's build output) and everything it links to.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_yaml(&text, &dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses manifest text whose links are relative to `dir`.
    pub fn from_yaml(text: &str, dir: &Path) -> Result<Manifest> {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
        refuse_static_file_data_sources(&yaml)?;
        let raw: RawManifest = serde_yaml::from_value(yaml)?;
        let spec_version: Version = raw.spec_version.parse().context("specVersion")?;
        ensure!(
            (MIN_SPEC_VERSION..=MAX_SPEC_VERSION).contains(&spec_version),
            "specVersion {spec_version} is not supported (supported: {MIN_SPEC_VERSION} to {MAX_SPEC_VERSION})"
        );
        let schema_path = resolve(dir, &raw.schema.file);
        let schema = Arc::new(schema::load(&schema_path)?);
        let mut files = FileCache::default();
        let mut data_sources = Vec::new();
        for (i, ds) in raw.data_sources.into_iter().enumerate() {
            let name = ds.name.clone();
            let ds = convert_data_source(ds, dir, &mut files, spec_version)
                .with_context(|| format!("dataSources[{i}] (`{name}`)"))?;
            data_sources.push(ds);
        }
        let mut templates = Vec::new();
        for (i, t) in raw.templates.into_iter().enumerate() {
            let name = t.name.clone();
            let t = convert_template(t, dir, &mut files, &schema)
                .with_context(|| format!("templates[{i}] (`{name}`)"))?;
            templates.push(t);
        }
        let manifest = Manifest {
            spec_version,
            dir: dir.to_path_buf(),
            schema,
            data_sources,
            templates,
            features: raw.features,
            prune: match raw.indexer_hints {
                None => Prune::Never,
                Some(hints) => {
                    ensure!(
                        spec_version >= Version(1, 0, 0),
                        "`indexerHints` needs specVersion 1.0.0 or later, but the manifest has {spec_version}"
                    );
                    hints.prune.map_or(Ok(Prune::Never), RawPrune::convert)?
                }
            },
            graft: raw
                .graft
                .map(|graft| {
                    serde_yaml::from_value(graft)
                        .map_err(anyhow::Error::from)
                        .and_then(RawGraft::convert)
                        .context("`graft` must be `{ base: <deployment id>, block: <number> }`")
                })
                .transpose()?,
        };
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<()> {
        ensure!(
            !self.data_sources.is_empty(),
            "the subgraph has no data sources"
        );
        let network = &self.data_sources[0].network;
        for ds in &self.data_sources {
            ensure!(
                &ds.network == network,
                "all data sources must use the same network, but `{}` uses `{}` and `{}` uses `{network}`",
                ds.name,
                ds.network,
                self.data_sources[0].name
            );
        }
        let versions: Vec<(&str, Version)> = self
            .data_sources
            .iter()
            .map(|d| (d.name.as_str(), d.mapping.api_version))
            .chain(
                self.templates
                    .iter()
                    .map(|t| (t.name.as_str(), t.mapping.api_version)),
            )
            .collect();
        if versions.iter().any(|(_, v)| *v >= Version(0, 0, 5)) {
            let (first, v0) = versions[0];
            for (name, v) in &versions {
                ensure!(
                    v == &v0,
                    "all data sources and templates must use the same apiVersion when one uses 0.0.5 or later, but `{first}` uses {v0} and `{name}` uses {v}"
                );
            }
        }
        for feature in &self.features {
            ensure!(
                KNOWN_FEATURES.contains(&feature.as_str()),
                "unknown feature `{feature}` (known: {})",
                KNOWN_FEATURES.join(", ")
            );
        }
        self.check_min_spec_versions()?;
        self.check_declared_calls()?;
        self.check_aggregations()?;
        self.check_graft_feature()?;
        self.check_fulltext_feature()?;
        self.check_ipfs_feature()
    }

    /// graph-node's rule (specVersion 0.0.4 and later): a schema with `@fulltext` directives
    /// must declare the `fullTextSearch` feature.
    fn check_fulltext_feature(&self) -> Result<()> {
        let Some(first) = self.schema.fulltexts.first() else {
            return Ok(());
        };
        ensure!(
            self.spec_version < Version(0, 0, 4) || self.has_feature("fullTextSearch"),
            "The feature `fullTextSearch` is used by the subgraph but it is not declared in the \
             manifest: schema.graphql has `_Schema_ @fulltext(name: \"{}\")`; add \
             `features: [fullTextSearch]`",
            first.name
        );
        Ok(())
    }

    /// graph-node's rule (specVersion 0.0.4 and later, when it validates features): a manifest
    /// with `graft:` must declare the `grafting` feature.
    fn check_graft_feature(&self) -> Result<()> {
        if let Some(graft) = &self.graft {
            ensure!(
                self.spec_version < Version(0, 0, 4) || self.has_feature("grafting"),
                "The feature `grafting` is used by the subgraph but it is not declared in the \
                 manifest: `graft:` (base `{}`, block {}) needs `features: [grafting]`",
                graft.base,
                graft.block
            );
        }
        Ok(())
    }

    /// graph-node's per-data-source minimum specVersions (`min_spec_version`): `polling` and
    /// `once` block handlers need 0.0.8, topic1-3 filters on event handlers 1.2.0. As in
    /// graph-node, only the static data sources are checked.
    fn check_min_spec_versions(&self) -> Result<()> {
        for ds in &self.data_sources {
            let mapping = &ds.mapping;
            let block_filters = mapping.block_handlers.iter().any(|h| {
                matches!(
                    h.filter,
                    BlockHandlerFilter::Polling(_) | BlockHandlerFilter::Once
                )
            });
            let topic_filters = mapping
                .event_handlers
                .iter()
                .any(|h| h.topic_filters.iter().any(|t| !t.is_empty()));
            let (required, why) = if topic_filters {
                (Version(1, 2, 0), "topic1-3 filters on event handlers")
            } else if block_filters {
                (Version(0, 0, 8), "`polling` or `once` block handlers")
            } else {
                continue;
            };
            ensure!(
                self.spec_version >= required,
                "the subgraph uses spec version {}, but data source `{}` requires at least \
                 version {required} ({why}); raise `specVersion`",
                self.spec_version,
                ds.name
            );
        }
        Ok(())
    }

    /// graph-node's rule: timeseries and `@aggregation` types need specVersion 1.1.0.
    fn check_aggregations(&self) -> Result<()> {
        ensure!(
            !self.schema.uses_aggregations() || self.spec_version >= Version(1, 1, 0),
            "Aggregations are not supported with spec version {}; please migrate the subgraph \
             to the latest version (timeseries and @aggregation types need specVersion 1.1.0)",
            self.spec_version
        );
        Ok(())
    }

    /// graph-node's specVersion rules for declared calls: `calls:` needs 1.2.0, struct field
    /// access in them 1.4.0.
    fn check_declared_calls(&self) -> Result<()> {
        let mappings = self
            .data_sources
            .iter()
            .map(|d| (&d.name, &d.mapping))
            .chain(self.templates.iter().map(|t| (&t.name, &t.mapping)));
        for (name, mapping) in mappings {
            for handler in &mapping.event_handlers {
                let Some(first) = handler.calls.first() else {
                    continue;
                };
                let at = || format!("`{name}`, handler `{}`", handler.handler);
                ensure!(
                    self.spec_version >= Version(1, 2, 0),
                    "{}: declared calls (`calls:`, here `{}: {}`) need specVersion 1.2.0 or \
                     later, but the manifest has {}",
                    at(),
                    first.label,
                    first.expr,
                    self.spec_version
                );
                if let Some(call) = handler.calls.iter().find(|c| c.uses_struct_fields()) {
                    ensure!(
                        self.spec_version >= Version(1, 4, 0),
                        "{}: declared call `{}: {}` reads a struct field, which needs \
                         specVersion 1.4.0 or later, but the manifest has {}",
                        at(),
                        call.label,
                        call.expr,
                        self.spec_version
                    );
                }
            }
        }
        Ok(())
    }

    /// graph-node's rule (specVersion 0.0.4 and later): a subgraph whose mappings import
    /// `ipfs.cat`, `ipfs.getBlock` or `ipfs.map` must declare `ipfsOnEthereumContracts` (or its
    /// alias `nonDeterministicIpfs`).
    fn check_ipfs_feature(&self) -> Result<()> {
        if self.spec_version < Version(0, 0, 4)
            || self.has_feature("ipfsOnEthereumContracts")
            || self.has_feature("nonDeterministicIpfs")
        {
            return Ok(());
        }
        let mappings = self
            .data_sources
            .iter()
            .map(|d| (&d.name, &d.mapping))
            .chain(self.templates.iter().map(|t| (&t.name, &t.mapping)));
        for (name, mapping) in mappings {
            if let Some(import) = ipfs_import(&mapping.wasm) {
                bail!(
                    "The feature `ipfsOnEthereumContracts` is used by the subgraph but it is not \
                     declared in the manifest: the mapping of `{name}` ({}) imports `{import}`; \
                     add `features: [ipfsOnEthereumContracts]`",
                    mapping.file.display()
                );
            }
        }
        Ok(())
    }

    /// The network all data sources index.
    pub fn network(&self) -> &str {
        &self.data_sources[0].network
    }

    /// Whether `features:` declares the feature.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// A template by name.
    pub fn template(&self, name: &str) -> Option<&DataSourceTemplate> {
        self.templates.iter().find(|t| t.name == name)
    }
}

const KNOWN_FEATURES: &[&str] = &[
    "nonFatalErrors",
    "grafting",
    "fullTextSearch",
    "aggregations",
    "bytesAsIds",
    "declaredEthCalls",
    "immutableEntities",
    "ipfsOnEthereumContracts",
    "nonDeterministicIpfs",
];

/// The first IPFS host function a wasm module imports (under any module name, as graph-node
/// links by name). A module that does not parse imports nothing here: the runtime refuses it
/// with a better message when it loads it.
fn ipfs_import(wasm: &[u8]) -> Option<String> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::ImportSection(reader)) = payload else {
            continue;
        };
        for import in reader.into_imports() {
            let Ok(import) = import else {
                return None;
            };
            if matches!(import.name, "ipfs.cat" | "ipfs.getBlock" | "ipfs.map") {
                return Some(import.name.to_string());
            }
        }
    }
    None
}

/// graph-node resolves file data sources only as templates; a static one would have no CID.
fn refuse_static_file_data_sources(yaml: &serde_yaml::Value) -> Result<()> {
    let Some(data_sources) = yaml.get("dataSources").and_then(|d| d.as_sequence()) else {
        return Ok(());
    };
    for (i, ds) in data_sources.iter().enumerate() {
        let kind = ds.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        if kind.starts_with("file/") {
            let name = ds.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            bail!(
                "dataSources[{i}] (`{name}`): static file data sources are not supported: a                  `{kind}` data source must be a template, created by a handler with                  `dataSource.create` and the file's CID"
            );
        }
    }
    Ok(())
}

fn resolve(dir: &Path, link: &str) -> PathBuf {
    // graph-cli's build output links files by relative path; IPFS-style links are stripped.
    let link = link.strip_prefix("/ipfs/").unwrap_or(link);
    dir.join(link)
}

/// Reads each linked file once, however many mappings share it.
#[derive(Default)]
struct FileCache {
    wasm: HashMap<PathBuf, Arc<Vec<u8>>>,
}

impl FileCache {
    fn wasm(&mut self, path: PathBuf) -> Result<Arc<Vec<u8>>> {
        if let Some(bytes) = self.wasm.get(&path) {
            return Ok(bytes.clone());
        }
        let bytes = Arc::new(
            std::fs::read(&path)
                .with_context(|| format!("cannot read mapping {}", path.display()))?,
        );
        self.wasm.insert(path, bytes.clone());
        Ok(bytes)
    }
}

fn convert_data_source(
    raw: RawDataSource,
    dir: &Path,
    files: &mut FileCache,
    spec_version: Version,
) -> Result<DataSource> {
    ensure!(
        raw.kind == "ethereum" || raw.kind == "ethereum/contract",
        "data source kind `{}` is not supported (supported: ethereum, ethereum/contract)",
        raw.kind
    );
    let address = raw
        .source
        .address
        .as_deref()
        .map(|a| Address::from_str(a).map_err(|e| anyhow!("source.address `{a}`: {e}")))
        .transpose()?;
    let mapping = convert_mapping(raw.mapping, &raw.source.abi, dir, files)?;
    let source = Source {
        address,
        abi: raw.source.abi,
        start_block: raw.source.start_block,
        end_block: raw.source.end_block,
    };
    if source.end_block.is_some() {
        ensure!(
            spec_version >= Version(0, 0, 9),
            "source.endBlock needs specVersion 0.0.9 or later"
        );
    }
    check_abi_and_events(&mapping, &source.abi)?;
    if address.is_none() {
        ensure!(
            mapping.block_handlers.is_empty() && mapping.call_handlers.is_empty(),
            "a data source without source.address may only have event handlers"
        );
    }
    check_block_handlers(&mapping.block_handlers)?;
    let context = raw.context.map(convert_context).transpose()?;
    Ok(DataSource {
        name: raw.name,
        network: raw.network.unwrap_or_default(),
        source,
        mapping,
        context,
    })
}

fn convert_template(
    raw: RawTemplate,
    dir: &Path,
    files: &mut FileCache,
    schema: &Schema,
) -> Result<DataSourceTemplate> {
    match raw.kind.as_str() {
        "ethereum" | "ethereum/contract" => {}
        "file/ipfs" => return convert_file_template(raw, FileSource::Ipfs, dir, files, schema),
        "file/arweave" => {
            return convert_file_template(raw, FileSource::Arweave, dir, files, schema)
        }
        other => bail!(
            "template kind `{other}` is not supported (supported: ethereum, ethereum/contract, \
             file/ipfs, file/arweave)"
        ),
    }
    let source = raw
        .source
        .ok_or_else(|| anyhow!("an `{}` template needs `source.abi`", raw.kind))?;
    ensure!(
        raw.mapping.handler.is_none(),
        "`mapping.handler` is only for file templates; an `{}` template has eventHandlers, \
         callHandlers or blockHandlers",
        raw.kind
    );
    let mapping = convert_mapping(raw.mapping, &source.abi, dir, files)?;
    check_abi_and_events(&mapping, &source.abi)?;
    check_block_handlers(&mapping.block_handlers)?;
    Ok(DataSourceTemplate {
        name: raw.name,
        network: raw.network.unwrap_or_default(),
        abi: source.abi,
        mapping,
        kind: TemplateKind::Ethereum,
    })
}

/// A file template (`file/ipfs`, `file/arweave`; graph-node's rules are the same for both): one
/// handler taking the file's bytes, and the entity types it may write (graph-node drops names
/// the schema does not define, with a warning).
///
/// Any specVersion will do: graph-node's "offchain data sources not supported prior to 0.0.7"
/// looks at `dataSources` only (which Sprig refuses file kinds in anyway), never at templates,
/// and public subgraphs rely on it (graph-tooling's Lens posts example has `file/arweave` and
/// `file/ipfs` templates under specVersion 0.0.5).
fn convert_file_template(
    mut raw: RawTemplate,
    source: FileSource,
    dir: &Path,
    files: &mut FileCache,
    schema: &Schema,
) -> Result<DataSourceTemplate> {
    let handler = raw
        .mapping
        .handler
        .take()
        .ok_or_else(|| anyhow!("a `{}` template needs `mapping.handler`", raw.kind))?;
    ensure!(
        raw.mapping.event_handlers.is_empty()
            && raw.mapping.call_handlers.is_empty()
            && raw.mapping.block_handlers.is_empty(),
        "a `{}` template has only `mapping.handler`, not eventHandlers, callHandlers or \
         blockHandlers",
        raw.kind
    );
    let mut mapping = convert_mapping(raw.mapping, "", dir, files)?;
    // graph-node drops names that are not entity types (it logs a warning); so does Sprig.
    mapping
        .entities
        .retain(|name| schema.entity_type(name).is_some());
    Ok(DataSourceTemplate {
        name: raw.name,
        network: raw.network.unwrap_or_default(),
        abi: String::new(),
        mapping,
        kind: TemplateKind::File { handler, source },
    })
}

fn check_abi_and_events(mapping: &Mapping, abi: &str) -> Result<()> {
    ensure!(
        mapping.abis.iter().any(|a| a.name == abi),
        "source.abi `{abi}` is not among mapping.abis ({})",
        mapping
            .abis
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

fn check_block_handlers(handlers: &[BlockHandler]) -> Result<()> {
    let count =
        |f: fn(&BlockHandlerFilter) -> bool| handlers.iter().filter(|h| f(&h.filter)).count();
    let every = count(|f| matches!(f, BlockHandlerFilter::Every));
    let call = count(|f| matches!(f, BlockHandlerFilter::Call));
    let once = count(|f| matches!(f, BlockHandlerFilter::Once));
    let polling = count(|f| matches!(f, BlockHandlerFilter::Polling(_)));
    ensure!(
        every <= 1 && call <= 1 && once <= 1 && polling <= 1,
        "a data source may have at most one block handler of each filter kind"
    );
    ensure!(
        every == 0 || (once == 0 && polling == 0),
        "a block handler without a filter cannot be combined with `once` or `polling` block handlers"
    );
    Ok(())
}

/// `source_abi` names the ABI (among `raw.abis`) call handlers are resolved in.
fn convert_mapping(
    raw: RawMapping,
    source_abi: &str,
    dir: &Path,
    files: &mut FileCache,
) -> Result<Mapping> {
    let api_version: Version = raw.api_version.parse().context("mapping.apiVersion")?;
    ensure!(
        api_version <= MAX_API_VERSION,
        "mapping.apiVersion {api_version} is newer than the newest supported ({MAX_API_VERSION})"
    );
    let mut abis = Vec::new();
    for abi in raw.abis {
        let path = resolve(dir, &abi.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read ABI `{}` at {}", abi.name, path.display()))?;
        let contract = parse_abi(&text)
            .with_context(|| format!("invalid ABI `{}` at {}", abi.name, path.display()))?;
        abis.push(Abi {
            name: abi.name,
            contract,
        });
    }
    let mut event_handlers = Vec::new();
    for h in raw.event_handlers {
        event_handlers.push(
            convert_event_handler(h.clone(), &abis).with_context(|| {
                format!("eventHandlers: `{}` (handler `{}`)", h.event, h.handler)
            })?,
        );
    }
    let block_handlers = raw
        .block_handlers
        .into_iter()
        .map(|h| {
            let filter = match h.filter {
                None => BlockHandlerFilter::Every,
                Some(RawBlockFilter { kind, every }) => match (kind.as_str(), every) {
                    ("call", _) => BlockHandlerFilter::Call,
                    ("once", _) => BlockHandlerFilter::Once,
                    ("polling", Some(n)) if n > 0 => BlockHandlerFilter::Polling(n),
                    ("polling", _) => bail!(
                        "blockHandlers: `{}`: a polling filter needs `every` greater than 0",
                        h.handler
                    ),
                    (other, _) => bail!(
                        "blockHandlers: `{}`: unknown filter kind `{other}` (known: call, once, polling)",
                        h.handler
                    ),
                },
            };
            Ok(BlockHandler {
                handler: h.handler,
                filter,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let call_handlers = raw
        .call_handlers
        .into_iter()
        .map(|c| {
            let function = c.function.clone();
            convert_call_handler(c, &abis, source_abi)
                .with_context(|| format!("callHandlers: `{function}`"))
        })
        .collect::<Result<_>>()?;
    let file = resolve(dir, &raw.file);
    let wasm = files.wasm(file.clone())?;
    Ok(Mapping {
        api_version,
        entities: raw.entities,
        abis: Arc::new(abis),
        event_handlers,
        block_handlers,
        call_handlers,
        file,
        wasm,
    })
}

/// Parses an ABI file: a JSON array, or a solc/Truffle artifact with an `abi` member.
fn parse_abi(text: &str) -> Result<JsonAbi> {
    let json: serde_json::Value = serde_json::from_str(text)?;
    let items = match json {
        serde_json::Value::Object(mut o) if o.contains_key("abi") => o.remove("abi").unwrap(),
        other => other,
    };
    Ok(serde_json::from_value(items)?)
}

/// The manifest form of an ABI event: `Name(indexed type,type)`.
fn manifest_signature(event: &Event) -> String {
    let params: Vec<String> = event
        .inputs
        .iter()
        .map(|p| {
            let ty = p.selector_type();
            if p.indexed {
                format!("indexed {ty}")
            } else {
                ty.into_owned()
            }
        })
        .collect();
    format!("{}({})", event.name, params.join(","))
}

fn convert_event_handler(raw: RawEventHandler, abis: &[Abi]) -> Result<EventHandler> {
    // graph-node computes topic0 from the manifest string with `indexed ` and spaces removed.
    let canonical = raw.event.replace("indexed ", "").replace(' ', "");
    let computed = keccak256(canonical.as_bytes());
    let topic0 = match &raw.topic0 {
        Some(t) => B256::from_str(t).map_err(|e| anyhow!("topic0 `{t}`: {e}"))?,
        None => computed,
    };
    let wanted = raw.event.replace(' ', "").replace("indexed", "indexed ");
    let name = canonical.split('(').next().unwrap_or_default();
    let candidates: Vec<&Event> = abis
        .iter()
        .flat_map(|a| a.contract.events.get(name).into_iter().flatten())
        .collect();
    let abi_event = candidates
        .iter()
        .find(|e| manifest_signature(e) == wanted)
        .copied()
        .or_else(|| {
            // graph-node also accepts a signature without `indexed` when exactly one event matches.
            let matching: Vec<_> = candidates
                .iter()
                .filter(|e| e.signature() == canonical)
                .collect();
            (matching.len() == 1).then(|| *matching[0])
        })
        .ok_or_else(|| {
            anyhow!(
                "event `{}` is not in the data source's ABIs (ABI events named `{name}`: {})",
                raw.event,
                if candidates.is_empty() {
                    "none".to_string()
                } else {
                    candidates
                        .iter()
                        .map(|e| manifest_signature(e))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            )
        })?
        .clone();
    let parse_topics = |list: &Option<Vec<String>>| -> Result<Vec<B256>> {
        list.iter()
            .flatten()
            .map(|t| {
                let hex = t.strip_prefix("0x").unwrap_or(t);
                let bytes = sprig_value::from_hex(hex)
                    .map_err(|_| anyhow!("topic filter `{t}` is not hex"))?;
                ensure!(
                    bytes.len() <= 32,
                    "topic filter `{t}` is longer than 32 bytes"
                );
                let mut word = [0u8; 32];
                word[32 - bytes.len()..].copy_from_slice(&bytes);
                Ok(B256::from(word))
            })
            .collect()
    };
    let calls = declared_calls::resolve(&raw.calls, &abi_event, abis)?;
    Ok(EventHandler {
        calls,
        topic_filters: [
            parse_topics(&raw.topic1)?,
            parse_topics(&raw.topic2)?,
            parse_topics(&raw.topic3)?,
        ],
        event: raw.event,
        topic0,
        handler: raw.handler,
        receipt: raw.receipt,
        abi_event,
    })
}

fn convert_call_handler(
    raw: RawCallHandler,
    abis: &[Abi],
    source_abi: &str,
) -> Result<CallHandler> {
    let hash = keccak256(raw.function.as_bytes());
    let selector = [hash[0], hash[1], hash[2], hash[3]];
    // Checked with a clearer message by `check_abi_and_events`; nothing to resolve against here.
    let Some(abi) = abis.iter().find(|a| a.name == source_abi) else {
        bail!("source.abi `{source_abi}` is not among mapping.abis");
    };
    let name = raw.function.split('(').next().unwrap_or_default();
    let candidates: Vec<&Function> = abi
        .contract
        .functions
        .get(name)
        .into_iter()
        .flatten()
        .collect();
    // graph-node only looks at functions that can change state: a view or pure function is never
    // called in a transaction in a way worth handling.
    let abi_function = candidates
        .iter()
        .filter(|f| {
            matches!(
                f.state_mutability,
                StateMutability::Payable | StateMutability::NonPayable
            )
        })
        .find(|f| f.signature() == raw.function)
        .copied()
        .ok_or_else(|| {
            anyhow!(
                "function `{}` is not a payable or nonpayable function of ABI `{source_abi}` \
                 (write it as `name(type,type)` with canonical types and no spaces; ABI \
                 functions named `{name}`: {})",
                raw.function,
                if candidates.is_empty() {
                    "none".to_string()
                } else {
                    candidates
                        .iter()
                        .map(|f| {
                            format!("{} ({})", f.signature(), f.state_mutability.as_json_str())
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            )
        })?
        .clone();
    Ok(CallHandler {
        function: raw.function,
        selector,
        handler: raw.handler,
        abi_function,
    })
}

fn convert_context(raw: HashMap<String, RawContextValue>) -> Result<Entity> {
    raw.into_iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                convert_context_value(v).with_context(|| format!("context.{k}"))?,
            ))
        })
        .collect()
}

fn convert_context_value(v: RawContextValue) -> Result<Value> {
    let data = v.data;
    let as_str = |d: &serde_yaml::Value| -> Result<String> {
        match d {
            serde_yaml::Value::String(s) => Ok(s.clone()),
            serde_yaml::Value::Number(n) => Ok(n.to_string()),
            serde_yaml::Value::Bool(b) => Ok(b.to_string()),
            other => bail!("expected a scalar, found {other:?}"),
        }
    };
    Ok(match v.kind.as_str() {
        "String" => Value::String(as_str(&data)?),
        "Int" => Value::Int(as_str(&data)?.parse()?),
        "Int8" => Value::Int8(as_str(&data)?.parse()?),
        "Timestamp" => Value::Timestamp(as_str(&data)?.parse()?),
        "BigInt" => Value::BigInt(as_str(&data)?.parse()?),
        "BigDecimal" => Value::BigDecimal(as_str(&data)?.parse()?),
        "Bool" => Value::Bool(as_str(&data)?.parse()?),
        "Bytes" => Value::Bytes(sprig_value::from_hex(&as_str(&data)?)?),
        "Null" => Value::Null,
        "List" => match data {
            serde_yaml::Value::Sequence(items) => Value::List(
                items
                    .into_iter()
                    .map(|i| convert_context_value(serde_yaml::from_value(i)?))
                    .collect::<Result<_>>()?,
            ),
            other => bail!("a List context value needs a sequence, found {other:?}"),
        },
        other => bail!("unknown context value type `{other}`"),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    spec_version: String,
    schema: RawLink,
    #[serde(default)]
    features: Vec<String>,
    data_sources: Vec<RawDataSource>,
    #[serde(default)]
    templates: Vec<RawTemplate>,
    indexer_hints: Option<RawIndexerHints>,
    /// Parsed apart so that its errors name it.
    graft: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
struct RawGraft {
    base: String,
    block: u64,
}

impl RawGraft {
    /// Checks `base` as graph-node checks a deployment hash: at most 46 characters, ASCII
    /// letters, digits and `_` only, and not `subgraphs`.
    fn convert(self) -> Result<Graft> {
        let valid = self.base.len() <= 46
            && !self.base.is_empty()
            && self
                .base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && self.base != "subgraphs";
        ensure!(
            valid,
            "`graft.base` must be a deployment id (an IPFS hash such as `Qm...`: at most 46 \
             letters, digits or `_`), not `{}`",
            self.base
        );
        Ok(Graft {
            base: self.base,
            block: self.block,
        })
    }
}

#[derive(Deserialize)]
struct RawIndexerHints {
    prune: Option<RawPrune>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPrune {
    Blocks(u64),
    Word(String),
}

impl RawPrune {
    fn convert(self) -> Result<Prune> {
        match self {
            RawPrune::Blocks(0) => bail!("`indexerHints.prune` must keep at least one block"),
            RawPrune::Blocks(n) => Ok(Prune::Blocks(n)),
            RawPrune::Word(w) if w == "never" => Ok(Prune::Never),
            RawPrune::Word(w) if w == "auto" => Ok(Prune::Auto),
            RawPrune::Word(w) => bail!(
                "`indexerHints.prune` must be `auto`, `never` or a number of blocks, not `{w}`"
            ),
        }
    }
}

#[derive(Deserialize)]
struct RawLink {
    file: String,
}

#[derive(Deserialize)]
struct RawDataSource {
    kind: String,
    name: String,
    network: Option<String>,
    source: RawSource,
    mapping: RawMapping,
    context: Option<HashMap<String, RawContextValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSource {
    address: Option<String>,
    abi: String,
    #[serde(default)]
    start_block: u64,
    end_block: Option<u64>,
}

#[derive(Deserialize)]
struct RawTemplate {
    kind: String,
    name: String,
    network: Option<String>,
    /// Absent for file templates.
    source: Option<RawTemplateSource>,
    mapping: RawMapping,
}

#[derive(Deserialize)]
struct RawTemplateSource {
    abi: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMapping {
    api_version: String,
    #[serde(default)]
    entities: Vec<String>,
    #[serde(default)]
    abis: Vec<RawAbi>,
    #[serde(default)]
    event_handlers: Vec<RawEventHandler>,
    #[serde(default)]
    block_handlers: Vec<RawBlockHandler>,
    #[serde(default)]
    call_handlers: Vec<RawCallHandler>,
    /// The handler of a file template.
    handler: Option<String>,
    file: String,
}

#[derive(Deserialize)]
struct RawAbi {
    name: String,
    file: String,
}

#[derive(Deserialize, Clone)]
struct RawEventHandler {
    event: String,
    handler: String,
    topic0: Option<String>,
    topic1: Option<Vec<String>>,
    topic2: Option<Vec<String>>,
    topic3: Option<Vec<String>>,
    #[serde(default)]
    receipt: bool,
    /// Declared calls by label.
    #[serde(default)]
    calls: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawBlockHandler {
    handler: String,
    filter: Option<RawBlockFilter>,
}

#[derive(Deserialize)]
struct RawBlockFilter {
    kind: String,
    every: Option<u64>,
}

#[derive(Deserialize)]
struct RawCallHandler {
    function: String,
    handler: String,
}

#[derive(Deserialize)]
struct RawContextValue {
    #[serde(rename = "type")]
    kind: String,
    data: serde_yaml::Value,
}
