//! Resource limits: linear memory and tables (through wasmtime's [`ResourceLimiter`]), and the
//! sizes of what the host reads out of guest memory.
//!
//! Each limit hit is a deterministic error whose message names the limit.

use wasmtime::ResourceLimiter;

use crate::config::MAX_TABLE_ELEMENTS;
use crate::error::{deterministic, HostError};

/// Deepest nesting of objects the host follows when decoding one value (graph-node's
/// `MAX_RECURSION_DEPTH`). Each pointer followed (array, element, map entry, key, value, enum
/// payload) is one level.
pub(crate) const MAX_NESTING: u32 = 128;

/// Largest single object (string, byte array, array of elements) the host reads from guest
/// memory, in bytes. Larger than anything a real mapping passes (graph-node caps JSON input at
/// 10 MB), small enough that one host call cannot make the host allocate without bound.
pub(crate) const MAX_OBJECT_BYTES: u32 = 64 << 20;

/// Caps the guest's linear memory and table sizes for one trigger.
pub(crate) struct MemoryLimiter {
    max_memory_bytes: usize,
}

impl MemoryLimiter {
    pub fn new(max_memory_bytes: usize) -> MemoryLimiter {
        MemoryLimiter { max_memory_bytes }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            return Err(deterministic!(
                "memory limit exceeded: the mapping tried to grow its memory from {current} to \
                 {desired} bytes, but the limit is {} bytes",
                self.max_memory_bytes
            )
            .into());
        }
        Ok(true)
    }

    /// Growth within the limit failed for a reason of the host's (e.g. `mmap`): the mapping
    /// would otherwise see `memory.grow` return -1 and trap, which would look deterministic.
    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(HostError::non_deterministic(
            anyhow::Error::from(error).context("the host failed to grow the mapping's memory"),
        )
        .into())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            return Err(deterministic!(
                "table limit exceeded: the mapping tried to grow its table from {current} to \
                 {desired} elements, but the limit is {MAX_TABLE_ELEMENTS}"
            )
            .into());
        }
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(HostError::non_deterministic(
            anyhow::Error::from(error).context("the host failed to grow the mapping's table"),
        )
        .into())
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}
