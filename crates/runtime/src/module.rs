//! [`MappingModule`]: a compiled, linked mapping, and the run of one trigger.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use sprig_value::Value;
use wasmtime::{AsContextMut, ExternType, InstancePre, Linker, Module, Store};

use crate::api_version::ApiVersion;
use crate::asc::{place, write_value, Exports, Heap, Layout, Objects, TypeIds};
use crate::cache::{self, CacheStatus};
use crate::clock::HandlerClock;
use crate::config::FUEL_YIELD_INTERVAL;
use crate::context::{BlockState, HandlerContext};
use crate::error::{classify, describe_failure, deterministic, FailedRun, HostError, MappingError};
use crate::host;
use crate::limits::MemoryLimiter;
use crate::runtime::Shared;
use crate::source_map::SourceMap;
use crate::start;
use crate::state::HostState;
use crate::trigger::MappingTrigger;

/// A mapping compiled and linked once, run for many triggers.
///
/// Cheap to clone, `Send + Sync`: triggers of different blocks or subgraphs may run
/// concurrently (each gets its own instance).
#[derive(Clone)]
pub struct MappingModule {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    name: String,
    api_version: ApiVersion,
    runtime: Arc<Shared>,
    instance_pre: InstancePre<HostState>,
    /// Class ids from the module's `id_of_type`, shared by all its instances.
    type_ids: Arc<TypeIds>,
    cache_status: CacheStatus,
    /// Source positions for backtraces, if the mapping came with a source map.
    source_map: Option<SourceMap>,
}

/// What a successful handler produced besides its state changes (nothing yet; room for logs
/// or metrics without breaking callers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlerOutcome {}

/// The result of [`MappingModule::run`].
#[derive(Debug)]
pub struct HandlerResult {
    /// The block state, always given back: with the handler's entity writes and created data
    /// sources on success, without them on failure.
    pub state: BlockState,
    /// Whether the handler succeeded, and if not, how it failed.
    pub outcome: Result<HandlerOutcome, MappingError>,
    /// Fuel the trigger used: wasm instructions (including `_start` and the allocator) plus
    /// what host functions charged.
    pub gas_used: u64,
}

/// What a fresh instance is called with once started.
#[derive(Clone, Copy)]
enum Call<'a> {
    /// A trigger, for a handler `(trigger) -> ()`.
    Trigger(&'a MappingTrigger),
    /// One JSON value of an `ipfs.map` file and its user data, for a callback
    /// `(value: JSONValue, userData: Value) -> ()`.
    Callback {
        value: &'a serde_json::Value,
        user_data: &'a Value,
    },
}

/// What [`MappingModule::run_callback`] gives back.
pub(crate) struct CallbackResult {
    /// The callback's block state: its writes and created data sources on success.
    pub state: BlockState,
    /// Whether the callback succeeded; a failure's message names the callback and the cause
    /// (with the wasm backtrace), and keeps its class.
    pub outcome: Result<(), HostError>,
    /// The fuel left after the callback (out of what it was given).
    pub fuel_left: u64,
}

/// The steps of a trigger's run, in order, for [`MappingModule::run_until`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// A store and an instance.
    Instantiate,
    /// ... and `_start` run.
    Start,
    /// ... and the trigger object written into guest memory.
    Trigger,
    /// ... and the handler called: a whole run.
    Handler,
}

impl MappingModule {
    pub(crate) fn compile(
        runtime: Arc<Shared>,
        name: &str,
        wasm: &[u8],
        api_version: ApiVersion,
        source_map: Option<SourceMap>,
    ) -> anyhow::Result<MappingModule> {
        api_version
            .check_supported()
            .with_context(|| format!("cannot load mapping `{name}`"))?;
        // AssemblyScript 0.6 modules initialise their globals in a start section, which must
        // run after the heap is attached.
        let wasm = start::defer_start_section(wasm);
        let (module, cache_status) = cache::load_or_compile(
            &runtime.engine,
            runtime.config.cache_dir.as_deref(),
            &wasm,
            &runtime.config.codegen_settings(),
        )
        .with_context(|| format!("mapping `{name}` is not a valid wasm module for this runtime"))?;
        check_exports(&module, api_version.layout())
            .with_context(|| format!("cannot load mapping `{name}`"))?;

        let mut linker = Linker::new(&runtime.engine);
        let mut linked = BTreeSet::new();
        let mut unknown = BTreeSet::new();
        for import in module.imports() {
            let (module_name, field) = (import.module(), import.name());
            let known = matches!(import.ty(), ExternType::Func(_))
                && (linked.contains(&(module_name, field))
                    || host::link(&mut linker, module_name, field)?);
            if known {
                linked.insert((module_name, field));
            } else {
                unknown.insert(format!("{module_name}.{field}"));
            }
        }
        if !unknown.is_empty() {
            anyhow::bail!(
                "mapping `{name}` imports what the runtime does not provide: {}",
                unknown.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        let instance_pre = linker
            .instantiate_pre(&module)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot link mapping `{name}`"))?;
        Ok(MappingModule {
            inner: Arc::new(ModuleInner {
                name: name.to_string(),
                api_version,
                runtime,
                instance_pre,
                type_ids: Arc::default(),
                cache_status,
                source_map,
            }),
        })
    }

    /// The name the module was loaded with.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether the compiled code came from the on-disk cache.
    pub fn cache_status(&self) -> CacheStatus {
        self.inner.cache_status
    }

    /// The source map backtraces are translated with, if one was found and could be read (see
    /// [`MappingRuntime::load_file`](crate::MappingRuntime::load_file)).
    pub fn source_map_path(&self) -> Option<&Path> {
        self.inner.source_map.as_ref().map(SourceMap::path)
    }

    /// The apiVersion the module was loaded for.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// Handles one trigger: a fresh instance, `_start`, the trigger object written into guest
    /// memory, and the export `ctx.handler` called with it.
    ///
    /// The handler's entity writes and created data sources are kept in the returned state on
    /// success and discarded on any failure. Must be polled within a tokio runtime with time
    /// enabled when a timeout is configured; long handlers yield to the executor regularly.
    /// Dropping the future cancels the handler and drops the block state with it.
    pub async fn run(&self, trigger: MappingTrigger, ctx: HandlerContext) -> HandlerResult {
        self.run_until(trigger, ctx, Stage::Handler).await
    }

    /// [`run`](Self::run), stopping after `stage`: for benchmarks that time each step.
    #[doc(hidden)]
    pub async fn run_until(
        &self,
        trigger: MappingTrigger,
        mut ctx: HandlerContext,
        stage: Stage,
    ) -> HandlerResult {
        let config = &self.inner.runtime.config;
        let handler = ctx.handler.clone();
        let block = ctx.block;
        let data_sources_before = ctx.state.created_data_sources.len();
        // Everything the trigger does, `_start` included, is one unit to keep or discard.
        ctx.state.cache.enter_handler();

        let clock = config.timeout.map(HandlerClock::start);
        let mut store = self.new_store(ctx, clock.clone(), 0);
        let result = {
            let call = Call::Trigger(&trigger);
            let run =
                std::pin::pin!(self.execute(&mut store, call, &handler, config.gas_limit, stage));
            match clock {
                Some(clock) => clock.guard(run).await,
                None => run.await,
            }
        };
        let gas_used = match store.get_fuel() {
            Ok(left) => config.gas_limit.saturating_sub(left),
            Err(_) => 0, // unmetered
        };
        let mut state = store.into_data().ctx.state;
        let outcome = match result {
            Ok(()) => {
                state.cache.exit_handler();
                tracing::debug!(
                    target: "sprig::runtime",
                    mapping = %self.inner.name,
                    handler,
                    block = block.number,
                    gas_used,
                    "handler succeeded"
                );
                Ok(HandlerOutcome {})
            }
            Err(error) => {
                state.cache.exit_handler_and_discard();
                state.created_data_sources.truncate(data_sources_before);
                let error = classify(
                    error,
                    &FailedRun {
                        handler: &handler,
                        block,
                        gas_limit: config.gas_limit,
                        timeout: config.timeout,
                        source_map: self.inner.source_map.as_ref(),
                    },
                );
                tracing::debug!(
                    target: "sprig::runtime",
                    mapping = %self.inner.name,
                    handler,
                    block = block.number,
                    gas_used,
                    "handler failed: {error}"
                );
                Err(error)
            }
        };
        HandlerResult {
            state,
            outcome,
            gas_used,
        }
    }

    /// A store for one fresh instance running against `ctx`, timed by `clock`, inside
    /// `map_depth` `ipfs.map` callbacks.
    fn new_store(
        &self,
        ctx: HandlerContext,
        clock: Option<Arc<HandlerClock>>,
        map_depth: u32,
    ) -> Store<HostState> {
        let config = &self.inner.runtime.config;
        let state = HostState {
            ctx,
            api_version: self.inner.api_version,
            gas_limit: config.gas_limit,
            metered: !config.unmetered_for_benchmarks,
            io_timeout: config.timeout,
            clock,
            limiter: MemoryLimiter::new(config.max_memory_bytes),
            ipfs: self.inner.runtime.ipfs.clone(),
            module: Some(self.clone()),
            map_depth,
            heap: Heap::new(
                Arc::clone(&self.inner.type_ids),
                self.inner.api_version.layout(),
            ),
        };
        let mut store = Store::new(&self.inner.runtime.engine, state);
        store.limiter(|state| &mut state.limiter);
        store
    }

    /// Runs the `ipfs.map` callback `ctx.handler(value, userData)` in a fresh instance of this
    /// module (its own memory and `_start`, as graph-node), against `ctx`'s block state, which
    /// comes back with the callback's writes kept on success and dropped on failure (its write
    /// log is kept either way).
    ///
    /// `clock` is the calling handler's: the callback's time counts towards its timeout, and
    /// its guard (around the whole handler run) checks it whenever this future is polled.
    /// `fuel` is what the calling handler has left (ignored when unmetered): the callback runs
    /// on it, and [`CallbackResult::fuel_left`] is what the caller has left afterwards.
    /// `map_depth` counts the callbacks it runs inside, this one included.
    pub(crate) async fn run_callback(
        &self,
        mut ctx: HandlerContext,
        clock: Option<Arc<HandlerClock>>,
        map_depth: u32,
        fuel: u64,
        value: &serde_json::Value,
        user_data: &Value,
    ) -> CallbackResult {
        let callback = ctx.handler.clone();
        let block = ctx.block;
        ctx.state.cache.enter_handler();
        let mut store = self.new_store(ctx, clock, map_depth);
        let call = Call::Callback { value, user_data };
        let result = self
            .execute(&mut store, call, &callback, fuel, Stage::Handler)
            .await;
        let fuel_left = store.get_fuel().unwrap_or(fuel);
        let mut state = store.into_data().ctx.state;
        let outcome = match result {
            Ok(()) => {
                state.cache.exit_handler();
                Ok(())
            }
            Err(error) => {
                state.cache.exit_handler_and_discard();
                state.created_data_sources.clear();
                let config = &self.inner.runtime.config;
                let (determinism, message) = describe_failure(
                    error,
                    &FailedRun {
                        handler: &callback,
                        block,
                        gas_limit: config.gas_limit,
                        timeout: config.timeout,
                        source_map: self.inner.source_map.as_ref(),
                    },
                );
                Err(HostError {
                    determinism,
                    error: anyhow::Error::msg(message),
                })
            }
        };
        CallbackResult {
            state,
            outcome,
            fuel_left,
        }
    }

    async fn execute(
        &self,
        store: &mut Store<HostState>,
        call: Call<'_>,
        function: &str,
        fuel: u64,
        stage: Stage,
    ) -> wasmtime::Result<()> {
        if store.data().metered {
            store.set_fuel(fuel)?;
            store.fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL))?;
        }

        let instance = self
            .inner
            .instance_pre
            .instantiate_async(&mut *store)
            .await?;
        // `compile` checked that the exports exist with the right kinds.
        let layout = self.inner.api_version.layout();
        let exports = Exports::of(&instance, &mut *store, layout)?;
        store.data_mut().heap.attach(exports);

        if stage == Stage::Instantiate {
            return Ok(());
        }

        start::run_top_level(store, &instance, layout).await?;
        if stage == Stage::Start {
            return Ok(());
        }

        match call {
            Call::Trigger(trigger) => {
                let mut objects = Objects::for_trigger(layout);
                let root = trigger.write(&mut objects, self.inner.api_version);
                let argument = place(&mut store.as_context_mut(), objects, root).await?;
                if stage == Stage::Trigger {
                    return Ok(());
                }
                let handler = instance.get_func(&mut *store, function).ok_or_else(|| {
                    deterministic!("the mapping has no handler export `{function}`")
                })?;
                let handler = handler.typed::<u32, ()>(&*store).map_err(|e| {
                    deterministic!(
                        "handler `{function}` must have the signature `(i32) -> ()`: {e}"
                    )
                })?;
                handler.call_async(&mut *store, argument).await
            }
            Call::Callback { value, user_data } => {
                let value = write_value(&mut store.as_context_mut(), value).await?;
                let user_data = write_value(&mut store.as_context_mut(), user_data).await?;
                let callback = instance.get_func(&mut *store, function).ok_or_else(|| {
                    deterministic!("the mapping has no callback export `{function}`")
                })?;
                let callback = callback.typed::<(u32, u32), ()>(&*store).map_err(|e| {
                    deterministic!(
                        "callback `{function}` must have the signature `(i32, i32) -> ()`: {e}"
                    )
                })?;
                callback.call_async(&mut *store, (value, user_data)).await
            }
        }
    }
}

impl std::fmt::Debug for MappingModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingModule")
            .field("name", &self.inner.name)
            .field("api_version", &self.inner.api_version)
            .finish_non_exhaustive()
    }
}

/// Checks the exports graph-cli mappings of `layout` have, listing all that are missing or
/// mistyped.
fn check_exports(module: &Module, layout: Layout) -> anyhow::Result<()> {
    let missing: Vec<String> = layout
        .required_exports()
        .iter()
        .filter(|(name, kind)| {
            module.get_export(name).map(|ty| describe(&ty)).as_deref() != Some(*kind)
        })
        .map(|(name, kind)| format!("`{name}`: {kind}"))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "the module lacks exports that {} have: {}",
            layout.describe(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// `memory`, or `func (params) -> (results)` with wasm value types.
fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Memory(_) => "memory".to_string(),
        ExternType::Func(f) => {
            let list = |types: &mut dyn Iterator<Item = wasmtime::ValType>| {
                types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
            };
            format!(
                "func ({}) -> ({})",
                list(&mut f.params()),
                list(&mut f.results())
            )
        }
        _ => "other".to_string(),
    }
}
