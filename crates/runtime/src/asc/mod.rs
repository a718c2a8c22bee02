//! The AssemblyScript memory ABI of apiVersion 0.0.5 and later (AssemblyScript 0.19 objects),
//! as graph-node implements it.
//!
//! Every object lives in the guest's linear memory behind a 20-byte header
//! (`mmInfo, gcInfo, gcInfo2, rtId, rtSize`); a pointer addresses the payload after it, and `0`
//! is `null`. The layouts of the built-in classes (String, ArrayBuffer, typed arrays, Array,
//! TypedMap, the tagged-union `Value`s, BigInt and BigDecimal) are documented where they are
//! read ([`read`]) and written ([`write`]).
//!
//! One way to do each thing:
//! - [`memory`] is the only code that touches guest memory: bounds-checked copies in and out.
//! - [`read`] decodes guest objects into Rust values ([`FromAsc`]), charging gas per byte and
//!   enforcing the nesting and size limits.
//! - [`write`] encodes Rust values ([`ToAsc`]) into a host-side image of objects, which
//!   [`heap::place`] copies into memory the guest's allocator handed out, in one piece.

pub(crate) mod class;
pub(crate) mod ethereum;
pub(crate) mod heap;
pub(crate) mod json;
pub(crate) mod memory;
pub(crate) mod read;
pub(crate) mod value;
pub(crate) mod write;
pub(crate) mod yaml;

pub(crate) use class::TypeIndex;
pub(crate) use heap::{place, write_value, write_value_opt, Exports, Heap, TypeIds};
pub(crate) use read::Reader;
pub(crate) use write::{ObjPtr, Objects, ToAsc};
