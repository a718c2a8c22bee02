//! Sprig's mapping runtime: runs the AssemblyScript mappings graph-cli builds, in wasmtime, with
//! results that are the same on every machine.
//!
//! # Bird's-eye view
//!
//! A [`MappingRuntime`] owns one wasmtime engine (Cranelift, NaN canonicalization, fuel, a pinned
//! set of wasm features) shared by every mapping. [`MappingRuntime::load`] compiles a mapping's
//! wasm once into a [`MappingModule`], links the host API by import name and pre-instantiates it.
//! [`MappingModule::run`] then handles one trigger: a fresh instance (nothing leaks between
//! triggers), `_start`, the trigger object written into guest memory, the handler called, and the
//! [`BlockState`] handed back with the handler's writes kept or discarded.
//!
//! ```text
//!  HandlerContext ──┐                          ┌── HandlerResult { state, outcome, gas_used }
//!  MappingTrigger ──┴─> MappingModule::run ────┘
//!                        │  new Store (fuel = gas limit, memory limiter, wall clock)
//!                        │  instantiate (pooling, copy-on-write) ─ _start ─ write trigger
//!                        │  call handler ─── host functions ──> EntityCache, EthereumCalls
//! ```
//!
//! # Code map
//!
//! - `config`: [`RuntimeConfig`] and the wasmtime engine settings consensus depends on.
//! - `cache`: the on-disk cache of compiled modules.
//! - `runtime` / `module`: [`MappingRuntime`], [`MappingModule`] and the per-trigger run.
//! - `asc`: the AssemblyScript memory ABI in its two layouts (AssemblyScript 0.19 for apiVersion
//!   0.0.5 and later, 0.6 for 0.0.3 and 0.0.4): guest memory access, object layouts, and
//!   conversions to and from Rust values. The only code that touches guest memory.
//! - `start`: a module's top-level code (a deferred wasm start section, `_start`), run once the
//!   host can write into its memory.
//! - `host`: the host functions a mapping imports (`store.set`, `bigInt.plus`, ...), linked by
//!   import name.
//! - [`MappingError`]: the two error classes, decided where an error is made.
//! - `source_map`: AssemblyScript source maps (`asc --sourceMap`), which turn backtrace offsets
//!   into `src/file.ts:line:column` ([`MappingRuntime::load_file`]).
//!
//! # Architecture invariants
//!
//! - The runtime knows nothing about SQL, GraphQL or JSON-RPC: it reads and writes entities
//!   through `sprig_store::EntityCache` and calls contracts through [`EthereumCalls`].
//! - A deterministic error never depends on wall-clock time, on which triggers ran before in this
//!   process, or on the machine: fuel, not time, bounds a handler's work, and type-id lookups
//!   that fill a per-module cache are not charged to the handler.
//! - The host touches guest memory only through bounds-checked copies (`asc::memory`); a bad
//!   pointer from the guest is a deterministic error, never a panic.

mod api_version;
mod asc;
mod base58;
mod cache;
mod chain;
mod clock;
mod config;
mod context;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod gas;
mod host;
mod limits;
mod module;
mod runtime;
mod source_map;
mod start;
mod state;
mod trigger;

pub use crate::api_version::ApiVersion;
pub use crate::cache::CacheStatus;
pub use crate::chain::{CallResult, ChainFuture, EthereumCalls};
pub use crate::config::{OptLevel, RuntimeConfig};
pub use crate::context::{BlockState, DataSourceInfo, HandlerContext};
pub use crate::error::MappingError;
pub use crate::host::IpfsSettings;
pub use crate::module::{HandlerOutcome, HandlerResult, MappingModule, Stage};
pub use crate::runtime::MappingRuntime;
pub use crate::trigger::MappingTrigger;
