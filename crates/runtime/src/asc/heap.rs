//! Where host-written objects go in guest memory: graph-node's arena over the module's
//! allocator export (`allocate`, or `memory.allocate` for AssemblyScript 0.6), and the
//! per-module cache of class ids from `id_of_type`.
//!
//! The arena asks the allocator for chunks of at least 10,000 bytes and carves objects out of
//! them; the rest of a chunk that is too small for the next image is abandoned (the
//! AssemblyScript stub runtime and 0.6's arena never free, and the instance dies with the
//! trigger). AssemblyScript 0.19 objects start 12 bytes into a chunk, so that payloads (after
//! the 20-byte header) are 16-byte aligned like the ones AssemblyScript allocates;
//! AssemblyScript 0.6 objects, which have no header, start at the chunk (8-byte aligned).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::{AsContextMut, Instance, Memory, StoreContextMut, TypedFunc};

use super::layout::Layout;
use super::memory::GuestMemory;
use super::write::{ObjPtr, Objects, ToAsc};
use super::TypeIndex;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// Smallest chunk the arena requests from the guest allocator (graph-node's value).
const MIN_CHUNK: u32 = 10_000;
/// Bytes skipped at the start of a chunk so that AssemblyScript 0.19 payloads are 16-byte
/// aligned.
const CHUNK_SKIP_019: u32 = 12;

/// The exports the host needs to read and write objects.
#[derive(Clone)]
pub(crate) struct Exports {
    pub memory: Memory,
    /// `allocate(size: usize): usize`, graph-ts's wrapper of the stub runtime's `__alloc`, or
    /// AssemblyScript 0.6's `memory.allocate` ([`Layout::allocator`]).
    pub allocate: TypedFunc<u32, u32>,
    /// `id_of_type(index: TypeId): usize`; AssemblyScript 0.6 modules have none (their objects
    /// carry no class id).
    pub id_of_type: Option<TypedFunc<u32, u32>>,
}

impl Exports {
    /// The exports a module of `layout` has (checked when it was loaded).
    pub fn of(
        instance: &Instance,
        mut store: impl AsContextMut,
        layout: Layout,
    ) -> wasmtime::Result<Exports> {
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| deterministic!("the mapping does not export `memory`"))?;
        let allocate = instance.get_typed_func::<u32, u32>(&mut store, layout.allocator())?;
        let id_of_type = if layout.has_class_ids() {
            Some(instance.get_typed_func::<u32, u32>(&mut store, "id_of_type")?)
        } else {
            None
        };
        Ok(Exports {
            memory,
            allocate,
            id_of_type,
        })
    }
}

/// Class ids of one module, filled on first use and shared by all its instances.
#[derive(Debug, Default)]
pub(crate) struct TypeIds(Mutex<HashMap<TypeIndex, u32>>);

impl TypeIds {
    fn get(&self, index: TypeIndex) -> Option<u32> {
        self.lock().get(&index).copied()
    }

    fn insert(&self, index: TypeIndex, id: u32) {
        self.lock().insert(index, id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeIndex, u32>> {
        // The map is only ever inserted into; a panic elsewhere cannot leave it inconsistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The host's view of one instance's heap.
pub(crate) struct Heap {
    layout: Layout,
    exports: Option<Exports>,
    /// Next free byte of the current chunk, and how many bytes are left in it.
    arena_start: u32,
    arena_free: u32,
    type_ids: Arc<TypeIds>,
}

impl Heap {
    /// A heap of objects in `layout` whose exports are not known yet (before instantiation).
    pub fn new(type_ids: Arc<TypeIds>, layout: Layout) -> Heap {
        Heap {
            layout,
            exports: None,
            arena_start: 0,
            arena_free: 0,
            type_ids,
        }
    }

    /// Sets the exports once the instance exists.
    pub fn attach(&mut self, exports: Exports) {
        self.exports = Some(exports);
    }

    /// The memory layout of the mapping's objects.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn exports(&self) -> Result<&Exports, HostError> {
        // Host functions called from a wasm `start` section run before the exports are known.
        self.exports.as_ref().ok_or_else(|| {
            deterministic!("the mapping called a host function before it was instantiated")
        })
    }

    pub fn memory(&self) -> Result<GuestMemory, HostError> {
        Ok(GuestMemory::new(self.exports()?.memory))
    }
}

/// Writes `value` into guest memory and returns the pointer to it. The value is encoded before
/// the returned future is first polled, so it need not outlive the call.
pub(crate) fn write_value<'a, 'b, T: ToAsc + ?Sized>(
    cx: &'a mut StoreContextMut<'b, HostState>,
    value: &T,
) -> impl Future<Output = wasmtime::Result<u32>> + Send + use<'a, 'b, T> {
    let mut objects = Objects::new(cx.data().heap.layout);
    let root = value.to_asc(&mut objects);
    place(cx, objects, root)
}

/// Writes `value` if present; `None` is `null` (0).
pub(crate) fn write_value_opt<'a, 'b, T: ToAsc>(
    cx: &'a mut StoreContextMut<'b, HostState>,
    value: Option<&T>,
) -> impl Future<Output = wasmtime::Result<u32>> + Send + use<'a, 'b, T> {
    let layout = cx.data().heap.layout;
    let encoded = value.map(|value| {
        let mut objects = Objects::new(layout);
        let root = value.to_asc(&mut objects);
        (objects, root)
    });
    async move {
        match encoded {
            Some((objects, root)) => place(cx, objects, root).await,
            None => Ok(0),
        }
    }
}

/// Copies an image of objects into guest memory and returns the address of `root`.
///
/// Charges gas for the bytes copied before anything else, resolves class ids, reserves space
/// in the arena (which may call the guest's allocator), then relocates pointers and copies.
pub(crate) async fn place(
    cx: &mut StoreContextMut<'_, HostState>,
    objects: Objects,
    root: ObjPtr,
) -> wasmtime::Result<u32> {
    let Objects {
        mut image,
        relocations,
        classes,
        ..
    } = objects;
    let len = u32::try_from(image.len())
        .map_err(|_| deterministic!("cannot write {} bytes into a 32-bit memory", image.len()))?;
    gas::charge(cx, gas::PER_BYTE_COPIED.saturating_mul(u64::from(len)))?;

    // Ids already cached are filled in under one lock (a trigger's image has dozens of
    // objects); only the others call into the guest.
    let mut uncached = Vec::new();
    {
        let ids = cx.data().heap.type_ids.lock();
        for (offset, class) in classes {
            match ids.get(&class) {
                Some(id) => image[offset..offset + 4].copy_from_slice(&id.to_le_bytes()),
                None => uncached.push((offset, class)),
            }
        }
    }
    for (offset, class) in uncached {
        let id = type_id(cx, class).await?;
        image[offset..offset + 4].copy_from_slice(&id.to_le_bytes());
    }

    let base = reserve(cx, len).await?;
    for offset in relocations {
        let field = &mut image[offset..offset + 4];
        let relative = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
        // `base + len` fits (reserve checked it) and `relative < len`.
        field.copy_from_slice(&(base + relative).to_le_bytes());
    }
    let memory = cx.data().heap.memory()?;
    memory.write(&mut *cx, base, &image)?;
    Ok(base + root.0)
}

/// The class id for `index`, from the module's cache or its `id_of_type` export.
///
/// The export runs on a fixed fuel allowance and the trigger's fuel is restored afterwards:
/// whether the cache was already filled depends on which triggers ran before in this process,
/// and must not change the trigger's gas.
async fn type_id(
    cx: &mut StoreContextMut<'_, HostState>,
    index: TypeIndex,
) -> wasmtime::Result<u32> {
    let heap = &cx.data().heap;
    if let Some(id) = heap.type_ids.get(index) {
        return Ok(id);
    }
    let Some(id_of_type) = heap.exports()?.id_of_type.clone() else {
        return Err(deterministic!(
            "the mapping has no `id_of_type` export to name the class of a {index:?}"
        )
        .into());
    };
    let type_ids = Arc::clone(&heap.type_ids);
    let result = if cx.data().metered {
        let fuel = cx.get_fuel()?;
        cx.set_fuel(gas::TYPE_ID_FUEL)?;
        let result = id_of_type.call_async(&mut *cx, index.index()).await;
        cx.set_fuel(fuel)?;
        result
    } else {
        id_of_type.call_async(&mut *cx, index.index()).await
    };
    let id = result.map_err(|e| {
        e.context(format!(
            "the mapping's `id_of_type({})` failed",
            index.index()
        ))
    })?;
    type_ids.insert(index, id);
    Ok(id)
}

/// Reserves `len` bytes in the arena, asking the guest allocator for a new chunk if the current
/// one is too small. Returns the address of the first byte.
async fn reserve(cx: &mut StoreContextMut<'_, HostState>, len: u32) -> wasmtime::Result<u32> {
    let heap = &mut cx.data_mut().heap;
    if len > heap.arena_free {
        let allocator = heap.layout.allocator();
        let skip = match heap.layout {
            Layout::AssemblyScript019 => CHUNK_SKIP_019,
            Layout::AssemblyScript06 => 0,
        };
        let size = len
            .checked_add(skip)
            .ok_or_else(|| deterministic!("cannot allocate {len} bytes in a 32-bit memory"))?
            .max(MIN_CHUNK);
        let allocate = heap.exports()?.allocate.clone();
        let chunk = allocate
            .call_async(&mut *cx, size)
            .await
            .map_err(|e| e.context(format!("the mapping's `{allocator}` export failed")))?;
        // The whole chunk must be addressable, so that carving from it never overflows.
        let start = chunk.checked_add(size).map(|_| chunk + skip);
        let Some(start) = start else {
            return Err(deterministic!(
                "the mapping's `{allocator}({size})` returned {chunk}, which leaves no room"
            )
            .into());
        };
        let heap = &mut cx.data_mut().heap;
        heap.arena_start = start;
        heap.arena_free = size - skip;
    }
    let heap = &mut cx.data_mut().heap;
    let start = heap.arena_start;
    heap.arena_start += len;
    heap.arena_free -= len;
    Ok(start)
}
