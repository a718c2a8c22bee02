//! The data a wasmtime store holds while one trigger runs.

use std::sync::Arc;
use std::time::Duration;

use crate::api_version::ApiVersion;
use crate::asc::Heap;
use crate::clock::HandlerClock;
use crate::context::HandlerContext;
use crate::host::IpfsSettings;
use crate::limits::MemoryLimiter;
use crate::module::MappingModule;

/// Store data of one trigger's instance: what host functions work on.
pub(crate) struct HostState {
    /// The handler's context; its `state` goes back to the caller when the trigger ends.
    pub ctx: HandlerContext,
    pub api_version: ApiVersion,
    /// The fuel the trigger started with (for out-of-gas messages).
    pub gas_limit: u64,
    /// Whether fuel is counted (always, except in benchmarks measuring its cost).
    pub metered: bool,
    /// Bound on one I/O wait of a host function (`ethereum.call`), when a timeout is set.
    pub io_timeout: Option<Duration>,
    /// The wall-clock guard, when a timeout is set.
    pub clock: Option<Arc<HandlerClock>>,
    pub limiter: MemoryLimiter,
    /// The IPFS gateway for `ipfs.cat`, `ipfs.getBlock` and `ipfs.map`, if the runtime has one.
    pub ipfs: Option<Arc<IpfsSettings>>,
    /// The module this instance runs, whose fresh instances run `ipfs.map`'s callbacks (none
    /// in the fuzzing harness, which has no module).
    pub module: Option<MappingModule>,
    /// How many `ipfs.map` callbacks this instance runs inside: 0 for a handler.
    pub map_depth: u32,
    pub heap: Heap,
}
