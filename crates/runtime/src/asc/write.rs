//! Encoding Rust values as AssemblyScript objects.
//!
//! Values are first laid out host-side in an [`Objects`] image, in the mapping's [`Layout`].
//! AssemblyScript 0.19: each object is a 20-byte header plus its payload, padded to a multiple
//! of 16 bytes (so that, once placed at an address that is 12 modulo 16, every payload is
//! 16-byte aligned as AssemblyScript's allocator makes them). AssemblyScript 0.6: objects have
//! no header and start at multiples of 8 (what its arena allocator gives). Pointers inside the
//! image are offsets from its start, recorded as relocations; class ids are recorded as type
//! indices. [`heap::place`](super::heap::place) resolves both and copies the image into guest
//! memory with one allocation.
//!
//! Children are written before their parents, so a parent's fields can point at them.

use sprig_value::{BigDecimal, BigInt};

use super::class::TypeIndex;
use super::layout::Layout;

/// Size of the header before each object's payload (AssemblyScript 0.19).
pub(crate) const HEADER_SIZE: usize = 20;

/// Size of an AssemblyScript 0.6 `ArrayBuffer`'s fields before its data: `byteLength` and 4
/// bytes of padding.
pub(crate) const BUFFER_PREFIX_06: u32 = 8;

/// A non-null pointer to an object in an [`Objects`] image: the image offset of its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ObjPtr(pub(super) u32);

/// A group of objects built host-side, to be placed into guest memory in one piece.
#[derive(Debug)]
pub(crate) struct Objects {
    layout: Layout,
    pub(super) image: Vec<u8>,
    /// Image offsets of `u32` fields holding an image-relative pointer.
    pub(super) relocations: Vec<usize>,
    /// Image offsets of header `rtId` fields, with the class they name.
    pub(super) classes: Vec<(usize, TypeIndex)>,
}

impl Objects {
    /// An empty image of objects in `layout`.
    pub fn new(layout: Layout) -> Objects {
        Objects {
            layout,
            image: Vec::new(),
            relocations: Vec::new(),
            classes: Vec::new(),
        }
    }

    /// An empty image with room for a trigger (a block is ~2 KB in ~30 objects, an event with
    /// its transaction and receipt a few KB), so that writing it does not regrow the buffers.
    pub fn for_trigger(layout: Layout) -> Objects {
        Objects {
            layout,
            image: Vec::with_capacity(8192),
            relocations: Vec::with_capacity(128),
            classes: Vec::with_capacity(128),
        }
    }

    /// The layout the objects are written in.
    #[cfg(test)]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Appends one object with the given payload; `pointers` are offsets of pointer fields in
    /// the payload.
    fn object(&mut self, class: TypeIndex, payload: &[u8], pointers: &[usize]) -> ObjPtr {
        let payload_start = match self.layout {
            Layout::AssemblyScript019 => {
                let start = self.image.len();
                let padded = round_up(HEADER_SIZE + payload.len(), 16) - HEADER_SIZE;
                // mmInfo is the allocator block size: the rest of the header plus the padded
                // payload.
                self.image
                    .extend_from_slice(&((16 + padded) as u32).to_le_bytes());
                self.image.extend_from_slice(&[0; 8]); // gcInfo, gcInfo2
                self.classes.push((self.image.len(), class));
                self.image.extend_from_slice(&[0; 4]); // rtId, resolved when placed
                self.image
                    .extend_from_slice(&(payload.len() as u32).to_le_bytes()); // rtSize
                let payload_start = self.image.len();
                self.image.extend_from_slice(payload);
                self.image.resize(payload_start + padded, 0);
                debug_assert_eq!((self.image.len() - start) % 16, 0);
                payload_start
            }
            Layout::AssemblyScript06 => {
                let payload_start = round_up(self.image.len(), 8);
                self.image.resize(payload_start, 0);
                self.image.extend_from_slice(payload);
                payload_start
            }
        };
        self.relocations
            .extend(pointers.iter().map(|offset| payload_start + offset));
        ObjPtr(payload_start as u32)
    }

    /// A `String` of UTF-16LE code units (AssemblyScript 0.6: after a `u32` length).
    pub fn string(&mut self, s: &str) -> ObjPtr {
        let units = s.encode_utf16().flat_map(u16::to_le_bytes);
        let payload: Vec<u8> = match self.layout {
            Layout::AssemblyScript019 => units.collect(),
            Layout::AssemblyScript06 => {
                let length = s.encode_utf16().count() as u32;
                length.to_le_bytes().into_iter().chain(units).collect()
            }
        };
        self.object(TypeIndex::String, &payload, &[])
    }

    /// An `ArrayBuffer` holding `bytes`.
    pub fn buffer(&mut self, bytes: &[u8]) -> ObjPtr {
        self.buffer_with_pointers(bytes, &[])
    }

    /// An `ArrayBuffer` holding `bytes`, of which those at offsets `pointers` are pointers.
    /// AssemblyScript 0.6 buffers start with their byte length and 4 bytes of padding, and take
    /// the next power of two in size, as its allocator would give them.
    fn buffer_with_pointers(&mut self, bytes: &[u8], pointers: &[usize]) -> ObjPtr {
        match self.layout {
            Layout::AssemblyScript019 => self.object(TypeIndex::ArrayBuffer, bytes, pointers),
            Layout::AssemblyScript06 => {
                let prefix = BUFFER_PREFIX_06 as usize;
                let mut payload = Vec::with_capacity((prefix + bytes.len()).next_power_of_two());
                payload.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                payload.extend_from_slice(&[0; 4]);
                payload.extend_from_slice(bytes);
                payload.resize((prefix + bytes.len()).next_power_of_two(), 0);
                let pointers: Vec<usize> = pointers.iter().map(|p| p + prefix).collect();
                self.object(TypeIndex::ArrayBuffer, &payload, &pointers)
            }
        }
    }

    /// A `Uint8Array` (also graph-ts `Bytes`, `Address`, `BigInt`): a view over a new buffer,
    /// `{buffer, dataStart, byteLength}` (AssemblyScript 0.6: `{buffer, byteOffset,
    /// byteLength}`).
    pub fn uint8_array(&mut self, bytes: &[u8]) -> ObjPtr {
        let buffer = self.buffer(bytes);
        let view = match self.layout {
            Layout::AssemblyScript019 => Fields::new().ptr(Some(buffer)).ptr(Some(buffer)),
            Layout::AssemblyScript06 => Fields::new().ptr(Some(buffer)).u32(0),
        };
        self.class(TypeIndex::Uint8Array, view.u32(bytes.len() as u32))
    }

    /// An instance of a class with the given fields.
    pub fn class(&mut self, class: TypeIndex, fields: Fields) -> ObjPtr {
        self.object(class, &fields.bytes, &fields.pointers)
    }

    /// An `Array<T>` of object pointers over a buffer of `u32` pointers:
    /// `{buffer, dataStart, byteLength, length}` (AssemblyScript 0.6: `{buffer, length}`).
    pub fn array(&mut self, class: TypeIndex, elements: &[Option<ObjPtr>]) -> ObjPtr {
        let mut items = Fields::new();
        for element in elements {
            items = items.ptr(*element);
        }
        let byte_length = items.bytes.len() as u32;
        let buffer = self.buffer_with_pointers(&items.bytes, &items.pointers);
        let array = match self.layout {
            Layout::AssemblyScript019 => Fields::new()
                .ptr(Some(buffer))
                .ptr(Some(buffer))
                .u32(byte_length),
            Layout::AssemblyScript06 => Fields::new().ptr(Some(buffer)),
        };
        self.class(class, array.u32(elements.len() as u32))
    }

    /// `Array<T>` of values already written.
    pub fn array_of(&mut self, class: TypeIndex, elements: &[ObjPtr]) -> ObjPtr {
        let elements: Vec<Option<ObjPtr>> = elements.iter().copied().map(Some).collect();
        self.array(class, &elements)
    }
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// The payload of a class instance, laid out as AssemblyScript lays out class fields: in
/// declaration order, each aligned to its own size.
#[derive(Debug)]
pub(crate) struct Fields {
    bytes: Vec<u8>,
    pointers: Vec<usize>,
}

impl Fields {
    pub fn new() -> Fields {
        // Enough for the largest trigger class (`ethereum.Block`, 15 pointers) in one
        // allocation each.
        Fields {
            bytes: Vec::with_capacity(64),
            pointers: Vec::with_capacity(16),
        }
    }

    /// A pointer field; `None` is `null`.
    pub fn ptr(mut self, ptr: Option<ObjPtr>) -> Fields {
        self.align(4);
        if let Some(ObjPtr(offset)) = ptr {
            self.pointers.push(self.bytes.len());
            self.bytes.extend_from_slice(&offset.to_le_bytes());
        } else {
            self.bytes.extend_from_slice(&[0; 4]);
        }
        self
    }

    pub fn u8(mut self, value: u8) -> Fields {
        self.bytes.push(value);
        self
    }

    pub fn u32(mut self, value: u32) -> Fields {
        self.align(4);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn u64(mut self, value: u64) -> Fields {
        self.align(8);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A 64-bit payload slot holding a pointer (zero-extended), as in the tagged unions.
    pub fn ptr64(mut self, ptr: Option<ObjPtr>) -> Fields {
        self.align(8);
        self = self.ptr(ptr);
        self.bytes.extend_from_slice(&[0; 4]);
        self
    }

    fn align(&mut self, to: usize) {
        let len = round_up(self.bytes.len(), to);
        self.bytes.resize(len, 0);
    }
}

/// A Rust value that has an AssemblyScript representation.
pub(crate) trait ToAsc {
    /// Writes the value (and everything it points to) and returns a pointer to it.
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr;
}

impl ToAsc for str {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.string(self)
    }
}

impl ToAsc for String {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.string(self)
    }
}

/// Byte arrays are written as `Uint8Array` (graph-ts `Bytes`).
impl ToAsc for [u8] {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.uint8_array(self)
    }
}

impl ToAsc for Vec<u8> {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.uint8_array(self)
    }
}

/// A `BigInt` is a `Uint8Array` of signed little-endian two's-complement bytes.
impl ToAsc for BigInt {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.uint8_array(&self.to_signed_bytes_le())
    }
}

/// `BigDecimal { digits: BigInt, exp: BigInt }`, value = digits × 10^exp. The exponent is
/// written first, as graph-node does.
impl ToAsc for BigDecimal {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (digits, exp) = self.digits_and_exp();
        let exp = BigInt::from(exp).to_asc(objects);
        let digits = digits.to_asc(objects);
        objects.class(
            TypeIndex::BigDecimal,
            Fields::new().ptr(Some(digits)).ptr(Some(exp)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(image: &[u8], offset: usize) -> u32 {
        u32::from_le_bytes(image[offset..offset + 4].try_into().unwrap())
    }

    #[test]
    fn objects_have_headers_and_padding() {
        let mut objects = Objects::new(Layout::AssemblyScript019);
        let s = objects.string("ab");
        assert_eq!(s, ObjPtr(20));
        // mmInfo = 16 + padded payload (4 bytes padded to 12), rtSize = 4.
        assert_eq!(u32_at(&objects.image, 0), 16 + 12);
        assert_eq!(u32_at(&objects.image, 16), 4);
        assert_eq!(&objects.image[20..24], &[b'a', 0, b'b', 0]);
        assert_eq!(objects.image.len(), 32);
        assert_eq!(objects.classes, vec![(12, TypeIndex::String)]);
    }

    #[test]
    fn arrays_point_at_their_buffers() {
        let mut objects = Objects::new(Layout::AssemblyScript019);
        let a = objects.string("a");
        let b = objects.string("b");
        let array = objects.array(TypeIndex::ArrayEventParam, &[Some(a), None, Some(b)]);
        let buffer = u32_at(&objects.image, array.0 as usize);
        assert_eq!(u32_at(&objects.image, array.0 as usize + 4), buffer);
        assert_eq!(u32_at(&objects.image, array.0 as usize + 8), 12);
        assert_eq!(u32_at(&objects.image, array.0 as usize + 12), 3);
        let elements: Vec<u32> = (0..3)
            .map(|i| u32_at(&objects.image, buffer as usize + 4 * i))
            .collect();
        assert_eq!(elements, vec![a.0, 0, b.0]);
        // Two element pointers and the array's buffer and dataStart.
        assert_eq!(objects.relocations.len(), 4);
    }

    #[test]
    fn assemblyscript_06_objects_have_no_headers() {
        let mut objects = Objects::new(Layout::AssemblyScript06);
        let s = objects.string("ab");
        assert_eq!(s, ObjPtr(0));
        assert_eq!(u32_at(&objects.image, 0), 2, "length in UTF-16 units");
        assert_eq!(&objects.image[4..8], &[b'a', 0, b'b', 0]);

        // Objects start at multiples of 8; a buffer is length, padding, data, to a power of 2.
        let bytes = objects.uint8_array(&[1, 2, 3]);
        let buffer = u32_at(&objects.image, bytes.0 as usize);
        assert_eq!(buffer, 8);
        assert_eq!(u32_at(&objects.image, 8), 3);
        assert_eq!(&objects.image[16..19], &[1, 2, 3]);
        assert_eq!(bytes.0, 24, "the 11-byte buffer takes 16");
        assert_eq!(u32_at(&objects.image, 28), 0, "byteOffset");
        assert_eq!(u32_at(&objects.image, 32), 3, "byteLength");
        assert!(objects.classes.is_empty(), "no class ids");
    }

    #[test]
    fn assemblyscript_06_arrays_are_buffer_and_length() {
        let mut objects = Objects::new(Layout::AssemblyScript06);
        let a = objects.string("a");
        let array = objects.array(TypeIndex::ArrayEventParam, &[Some(a), None]);
        let buffer = u32_at(&objects.image, array.0 as usize);
        assert_eq!(u32_at(&objects.image, array.0 as usize + 4), 2, "length");
        assert_eq!(u32_at(&objects.image, buffer as usize), 8, "byteLength");
        assert_eq!(u32_at(&objects.image, buffer as usize + 8), a.0);
        assert_eq!(u32_at(&objects.image, buffer as usize + 12), 0);
        // The element pointer and the array's buffer.
        assert_eq!(
            objects.relocations,
            vec![buffer as usize + 8, array.0 as usize]
        );
    }

    #[test]
    fn enum_payloads_are_aligned() {
        let fields = Fields::new().u32(7).ptr64(Some(ObjPtr(40)));
        assert_eq!(fields.bytes.len(), 16);
        assert_eq!(fields.pointers, vec![8]);
    }
}
