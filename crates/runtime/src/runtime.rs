//! [`MappingRuntime`]: the engine shared by all mappings.

use std::path::Path;
use std::sync::Arc;

use wasmtime::Engine;

use crate::api_version::ApiVersion;
use crate::config::RuntimeConfig;
use crate::host::IpfsSettings;
use crate::module::MappingModule;
use crate::source_map::SourceMap;

/// Compiles and runs mappings. One per process is enough: it holds a single wasmtime engine
/// shared by every module it loads.
///
/// Cheap to clone (an `Arc` inside).
///
/// ```no_run
/// # async fn example(wasm: &[u8]) -> anyhow::Result<()> {
/// use sprig_runtime::{ApiVersion, MappingRuntime, RuntimeConfig};
///
/// let runtime = MappingRuntime::new(RuntimeConfig::default())?;
/// let module = runtime.load("Token", wasm, "0.0.9".parse::<ApiVersion>()?)?;
/// # let _ = module;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MappingRuntime {
    shared: Arc<Shared>,
}

/// What every module of a runtime shares. Modules hold it too, so the engine lives as long as
/// any module does.
pub(crate) struct Shared {
    pub engine: Engine,
    pub config: RuntimeConfig,
    /// The gateway `ipfs.cat` and `ipfs.getBlock` read from.
    pub ipfs: Option<Arc<IpfsSettings>>,
}

impl MappingRuntime {
    /// Creates the engine for `config`.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<MappingRuntime> {
        MappingRuntime::with_ipfs(config, None)
    }

    /// [`new`](Self::new), with the IPFS gateway mappings read files from (`ipfs.cat`,
    /// `ipfs.getBlock`). Without one, a mapping that calls them fails non-deterministically
    /// with a message asking for a gateway.
    pub fn with_ipfs(
        config: RuntimeConfig,
        ipfs: Option<IpfsSettings>,
    ) -> anyhow::Result<MappingRuntime> {
        let engine = Engine::new(&config.engine_config()?)?;
        Ok(MappingRuntime {
            shared: Arc::new(Shared {
                engine,
                config,
                ipfs: ipfs.map(Arc::new),
            }),
        })
    }

    /// The IPFS gateway this runtime was created with, if any (the indexer fetches file data
    /// sources' files through it too).
    pub fn ipfs(&self) -> Option<Arc<IpfsSettings>> {
        self.shared.ipfs.clone()
    }

    /// The settings this runtime was created with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.shared.config
    }

    /// Compiles a mapping and links the host API into it.
    ///
    /// `name` identifies the mapping in errors (e.g. the data source's name). Fails if the wasm
    /// does not validate with the pinned feature set, if it imports functions the runtime does
    /// not provide (all are listed), if it lacks the exports graph-cli mappings of
    /// `api_version` have (`memory`, and `allocate`, `id_of_type`, `_start` from 0.0.5 on,
    /// `memory.allocate` before), or if `api_version` is not supported (0.0.3 to 0.0.9 are).
    pub fn load(
        &self,
        name: &str,
        wasm: &[u8],
        api_version: ApiVersion,
    ) -> anyhow::Result<MappingModule> {
        MappingModule::compile(Arc::clone(&self.shared), name, wasm, api_version, None)
    }

    /// [`load`](Self::load) for wasm read from the file `path`, which lets backtraces name
    /// AssemblyScript source lines: if a source map sits beside it (`<path>.map`, what
    /// `asc --sourceMap` writes) or the module's `sourceMappingURL` section names one, each
    /// frame shows `src/file.ts:line:column` instead of a wasm offset. A missing, unreadable or
    /// mismatched map is logged and ignored; it never fails the load.
    pub fn load_file(
        &self,
        name: &str,
        wasm: &[u8],
        path: &Path,
        api_version: ApiVersion,
    ) -> anyhow::Result<MappingModule> {
        let source_map = SourceMap::find(name, wasm, path);
        MappingModule::compile(
            Arc::clone(&self.shared),
            name,
            wasm,
            api_version,
            source_map,
        )
    }
}

impl std::fmt::Debug for MappingRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingRuntime")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}
