//! The on-disk cache of compiled modules: a restart does not recompile its mappings.
//!
//! An entry is the output of [`Module::serialize`] stored as `<key>.cwasm` in the cache
//! directory, where `<key>` is the Keccak-256 of everything that decides the compiled code: the
//! wasm bytes, the engine's [`precompile_compatibility_hash`](Engine::precompile_compatibility_hash)
//! (wasmtime version, target, Cranelift flags and tunables, fuel costs and wasm features
//! included) and Sprig's own settings that shape codegen. The file starts with the Keccak-256 of
//! the rest, so a truncated or corrupt entry is detected before wasmtime sees it; it is then
//! ignored (with a warning) and replaced by a fresh compile. Entries are written to a temporary
//! file and renamed into place, so readers never see half a file.
//!
//! Nothing here is consensus-relevant: a cache hit gives the same code a compile would.

use std::hash::Hasher;
use std::io::Write;
use std::path::Path;

use alloy::primitives::keccak256;
use anyhow::Context;
use wasmtime::{Engine, Module};

/// Bumped when the entry format or what the key covers changes.
const FORMAT: &[u8] = b"sprig-module-cache-v1";

/// Length of the checksum at the start of an entry.
const CHECKSUM_LEN: usize = 32;

/// How a module was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    /// No cache directory is configured: compiled.
    Disabled,
    /// Loaded from a cache entry without compiling.
    Hit,
    /// Compiled (no usable entry: missing or corrupt) and stored for next time.
    Miss,
}

/// Feeds everything `Hash` writes into a byte buffer, so the engine's compatibility hash
/// becomes stable bytes for the key (std's hashers make no promise across Rust releases).
#[derive(Default)]
struct Bytes(Vec<u8>);

impl Hasher for Bytes {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// The cache file name for `wasm` compiled by `engine` with `settings` (Sprig's codegen-relevant
/// settings, already rendered).
pub(crate) fn key(engine: &Engine, wasm: &[u8], settings: &str) -> String {
    use std::hash::Hash;
    let mut bytes = Bytes::default();
    bytes.write(FORMAT);
    engine.precompile_compatibility_hash().hash(&mut bytes);
    bytes.write(settings.as_bytes());
    bytes.write(keccak256(wasm).as_slice());
    format!("{:x}", keccak256(&bytes.0))
}

/// Loads `wasm` compiled from the cache in `dir`, or compiles it and stores the result.
///
/// Failing to read or write the cache is never fatal: the module is compiled and the problem
/// logged. Compilation errors are returned as they are.
pub(crate) fn load_or_compile(
    engine: &Engine,
    dir: Option<&Path>,
    wasm: &[u8],
    settings: &str,
) -> anyhow::Result<(Module, CacheStatus)> {
    let Some(dir) = dir else {
        return Ok((Module::new(engine, wasm)?, CacheStatus::Disabled));
    };
    let path = dir.join(format!("{}.cwasm", key(engine, wasm, settings)));
    match read_entry(engine, &path) {
        Ok(Some(module)) => {
            tracing::debug!(
                target: "sprig::runtime",
                path = %path.display(),
                "loaded a compiled module from the cache"
            );
            return Ok((module, CacheStatus::Hit));
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(
            target: "sprig::runtime",
            path = %path.display(),
            "ignoring an unusable compiled-module cache entry; compiling again: {e:#}"
        ),
    }
    let module = Module::new(engine, wasm)?;
    if let Err(e) = write_entry(&module, dir, &path) {
        tracing::warn!(
            target: "sprig::runtime",
            path = %path.display(),
            "could not store the compiled module in the cache: {e:#}"
        );
    }
    Ok((module, CacheStatus::Miss))
}

/// The module in the entry at `path`: `None` if there is none, an error if it is unusable.
fn read_entry(engine: &Engine, path: &Path) -> anyhow::Result<Option<Module>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("cannot read the entry"),
    };
    anyhow::ensure!(bytes.len() > CHECKSUM_LEN, "the entry is truncated");
    let (checksum, artifact) = bytes.split_at(CHECKSUM_LEN);
    anyhow::ensure!(
        keccak256(artifact).as_slice() == checksum,
        "the entry's checksum does not match its contents"
    );
    // SAFETY: `Module::deserialize` trusts that its input came from `Module::serialize` of a
    // compatible engine; arbitrary bytes could be run as machine code. This entry was written
    // by `write_entry` alone: its name is the hash of the wasm and of this engine's
    // compatibility hash and settings, and its checksum (just verified) proves the bytes are
    // the ones written, so a torn write or disk corruption cannot reach wasmtime. wasmtime
    // itself re-checks the artifact's version and engine settings and fails (handled as a
    // miss) if they differ. The remaining trust is in whoever can write the cache directory,
    // which must be as protected as the `sprig` binary itself.
    let module = unsafe { Module::deserialize(engine, artifact) }
        .map_err(anyhow::Error::from)
        .context("wasmtime rejected the entry")?;
    Ok(Some(module))
}

/// Stores `module` at `path`, atomically: a temporary file in `dir`, renamed into place.
fn write_entry(module: &Module, dir: &Path, path: &Path) -> anyhow::Result<()> {
    let artifact = module.serialize().map_err(anyhow::Error::from)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the cache directory {}", dir.display()))?;
    let mut file =
        tempfile::NamedTempFile::new_in(dir).context("cannot create a temporary file")?;
    file.write_all(keccak256(&artifact).as_slice())?;
    file.write_all(&artifact)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .context("cannot move the entry into place")?;
    Ok(())
}
