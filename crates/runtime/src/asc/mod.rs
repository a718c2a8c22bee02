//! The AssemblyScript memory ABI, as graph-node implements it, in its two [`Layout`]s:
//! AssemblyScript 0.19 objects (apiVersion 0.0.5 and later) and AssemblyScript 0.6 objects
//! (apiVersion 0.0.4 and older).
//!
//! AssemblyScript 0.19 objects live in the guest's linear memory behind a 20-byte header
//! (`mmInfo, gcInfo, gcInfo2, rtId, rtSize`); a pointer addresses the payload after it.
//! AssemblyScript 0.6 objects have no header. In both, `0` is `null`. [`layout`] tabulates
//! the differences; the layouts of the built-in classes (String, ArrayBuffer, typed arrays,
//! Array, TypedMap, the tagged-union `Value`s, BigInt and BigDecimal) are documented where they
//! are read ([`read`]) and written ([`write`]). Nothing outside this module knows a layout.
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
pub(crate) mod layout;
pub(crate) mod memory;
pub(crate) mod read;
pub(crate) mod value;
pub(crate) mod write;
pub(crate) mod yaml;

pub(crate) use class::TypeIndex;
pub(crate) use heap::{place, write_value, write_value_opt, Exports, Heap, TypeIds};
pub(crate) use layout::Layout;
pub(crate) use read::Reader;
pub(crate) use write::{ObjPtr, Objects, ToAsc};
