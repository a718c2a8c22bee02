//! The two AssemblyScript memory layouts graph-node speaks, chosen by the mapping's apiVersion
//! ([`ApiVersion::layout`](crate::ApiVersion)), and what each one asks of the module.
//!
//! | | AssemblyScript 0.6 (apiVersion ≤ 0.0.4) | AssemblyScript 0.19 (apiVersion ≥ 0.0.5) |
//! |---|---|---|
//! | object header | none: a pointer addresses the object's first byte | 20 bytes before the payload (`mmInfo, gcInfo, gcInfo2, rtId, rtSize`) |
//! | `String` | `[length in UTF-16 units: u32][units]` | units; `rtSize` = 2 × length |
//! | `ArrayBuffer` | `[byteLength: u32][4 bytes padding][data]` | data; `rtSize` = byteLength |
//! | typed array | `{ buffer, byteOffset, byteLength }` | `{ buffer, dataStart, byteLength }` |
//! | `Array<T>` | `{ buffer, length }` | `{ buffer, dataStart, byteLength, length }` |
//! | allocator export | `memory.allocate` (`allocator/arena`) | `allocate` (graph-ts), plus `id_of_type` |
//! | top-level code | a wasm start section | the `_start` export (`--explicitStart`) |
//!
//! Every other class (the tagged-union values, maps, BigDecimal, the Ethereum objects) has the
//! same field layout in both; only the header in front of it differs. The byte shapes are
//! written in [`write`](super::write) and read in [`read`](super::read); this module says which
//! exports a module of each layout has.

/// The memory layout of a mapping's AssemblyScript objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// AssemblyScript 0.6 (graph-cli 0.17 to 0.20): apiVersion 0.0.3 and 0.0.4.
    AssemblyScript06,
    /// AssemblyScript 0.19 (graph-cli 0.21 and later): apiVersion 0.0.5 and later.
    AssemblyScript019,
}

impl Layout {
    /// The export the host allocates guest memory with: `(size: i32) -> i32`.
    pub fn allocator(self) -> &'static str {
        match self {
            Layout::AssemblyScript06 => "memory.allocate",
            Layout::AssemblyScript019 => "allocate",
        }
    }

    /// Exports every graph-cli mapping of this layout has, with their types.
    pub fn required_exports(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Layout::AssemblyScript06 => &[
                ("memory", "memory"),
                ("memory.allocate", "func (i32) -> (i32)"),
            ],
            Layout::AssemblyScript019 => &[
                ("memory", "memory"),
                ("allocate", "func (i32) -> (i32)"),
                ("id_of_type", "func (i32) -> (i32)"),
                ("_start", "func () -> ()"),
            ],
        }
    }

    /// Whether objects carry a class id, asked of the module's `id_of_type` export.
    pub fn has_class_ids(self) -> bool {
        self == Layout::AssemblyScript019
    }

    /// Whether top-level code runs through an exported `_start` (rather than a start section).
    pub fn has_explicit_start(self) -> bool {
        self == Layout::AssemblyScript019
    }

    /// The mappings of this layout, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::AssemblyScript06 => "AssemblyScript 0.6 mappings (apiVersion 0.0.4 and older)",
            Layout::AssemblyScript019 => {
                "AssemblyScript 0.19 mappings (apiVersion 0.0.5 and later)"
            }
        }
    }
}
