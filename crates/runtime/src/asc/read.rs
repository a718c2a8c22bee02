//! Decoding AssemblyScript objects from guest memory into Rust values.
//!
//! A [`Reader`] follows pointers through guest memory, copying each object out through
//! [`GuestMemory`] after charging gas for its bytes, in the mapping's [`Layout`]: an
//! AssemblyScript 0.19 object's size is in its header, an AssemblyScript 0.6 object's size
//! follows from its class (its fields, or the length a string or buffer starts with). It enforces the nesting limit (each pointer
//! followed is one level) and the size limit on single objects. Everything a reader rejects is a
//! deterministic error: the same bytes are rejected on every machine.

use sprig_value::{BigDecimal, BigInt};
use wasmtime::StoreContextMut;

use super::layout::Layout;
use super::memory::GuestMemory;
use super::write::BUFFER_PREFIX_06;
use crate::api_version::ApiVersion;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::limits::{MAX_NESTING, MAX_OBJECT_BYTES};
use crate::state::HostState;

/// Reads objects out of one instance's memory.
pub(crate) struct Reader<'a, 'b> {
    cx: &'a mut StoreContextMut<'b, HostState>,
    memory: GuestMemory,
    layout: Layout,
    depth: u32,
}

impl<'a, 'b> Reader<'a, 'b> {
    pub fn new(cx: &'a mut StoreContextMut<'b, HostState>) -> Result<Reader<'a, 'b>, HostError> {
        let memory = cx.data().heap.memory()?;
        let layout = cx.data().heap.layout();
        Ok(Reader {
            cx,
            memory,
            layout,
            depth: 0,
        })
    }

    /// The apiVersion of the mapping, for classes whose fields depend on it.
    pub fn api_version(&self) -> ApiVersion {
        self.cx.data().api_version
    }

    /// Reads the `T` that `ptr` points to. `null` is an error.
    pub fn read<T: FromAsc>(&mut self, ptr: u32) -> Result<T, HostError> {
        if ptr == 0 {
            return Err(deterministic!(
                "Tried to read AssemblyScript value that is 'null'. Suggestion: look into the \
                 function that the error happened and add 'log' calls till you find where the \
                 null value is being used as they'll print the line the code is being executed in"
            ));
        }
        if self.depth >= MAX_NESTING {
            return Err(deterministic!(
                "recursion limit reached: values nested more than {MAX_NESTING} levels deep \
                 cannot be read from a mapping"
            ));
        }
        self.depth += 1;
        let value = T::from_asc(self, ptr);
        self.depth -= 1;
        value
    }

    /// Reads the `T` that `ptr` points to, or `None` for `null`.
    pub fn read_opt<T: FromAsc>(&mut self, ptr: u32) -> Result<Option<T>, HostError> {
        match ptr {
            0 => Ok(None),
            ptr => self.read(ptr).map(Some),
        }
    }

    /// Copies `len` bytes at `ptr`, charging gas first.
    fn bytes(&mut self, ptr: u32, len: u32) -> Result<Vec<u8>, HostError> {
        check_size(len)?;
        gas::charge(self.cx, gas::PER_BYTE_COPIED * u64::from(len))?;
        self.memory.read(&*self.cx, ptr, len)
    }

    /// A little-endian `u32` at `ptr`, charging gas first.
    fn u32_at(&mut self, ptr: u32) -> Result<u32, HostError> {
        gas::charge(self.cx, gas::PER_BYTE_COPIED * 4)?;
        self.memory.read_u32(&*self.cx, ptr)
    }

    /// The `rtSize` in the header of the AssemblyScript 0.19 object at `ptr`.
    fn object_size(&mut self, ptr: u32) -> Result<u32, HostError> {
        let header = ptr
            .checked_sub(4)
            .ok_or_else(|| deterministic!("Subtract overflow on pointer: {ptr}"))?;
        self.u32_at(header)
    }

    /// The UTF-16LE code units of the `String` at `ptr`.
    pub fn string_units(&mut self, ptr: u32) -> Result<Vec<u8>, HostError> {
        match self.layout {
            Layout::AssemblyScript019 => {
                let size = self.object_size(ptr)?;
                self.bytes(ptr, size)
            }
            Layout::AssemblyScript06 => {
                let length = self.u32_at(ptr)?;
                let units = ptr.checked_add(4).ok_or_else(|| {
                    deterministic!("string at {ptr} ends past the end of a 32-bit memory")
                })?;
                let size = length
                    .checked_mul(2)
                    .ok_or_else(|| too_large(u64::from(length) * 2))?;
                self.bytes(units, size)
            }
        }
    }

    /// The fields of a class instance at `ptr` whose layout takes `size` bytes.
    pub fn fields(&mut self, ptr: u32, size: u32) -> Result<FieldReader, HostError> {
        let bytes = match self.layout {
            Layout::AssemblyScript019 => {
                let object_size = self.object_size(ptr)?;
                let bytes = self.bytes(ptr, object_size)?;
                if bytes.len() < size as usize {
                    return Err(deterministic!(
                        "object at {ptr} has {} bytes, expected at least {size}",
                        bytes.len()
                    ));
                }
                bytes
            }
            // No header: the class says how many bytes it has.
            Layout::AssemblyScript06 => self.bytes(ptr, size)?,
        };
        Ok(FieldReader { bytes, offset: 0 })
    }

    /// The bytes a `Uint8Array` view at `ptr` shows. The view may start anywhere in its buffer
    /// (`subarray`), but must lie within it.
    pub fn uint8_array(&mut self, ptr: u32) -> Result<Vec<u8>, HostError> {
        let (data_start, byte_length) = self.view(ptr, View::TypedArray)?;
        self.bytes(data_start, byte_length)
    }

    /// The element pointers of an `Array<T>` of objects at `ptr`.
    pub fn array_pointers(&mut self, ptr: u32) -> Result<Vec<u32>, HostError> {
        let (data_start, byte_length) = self.view(ptr, View::Array { element_size: 4 })?;
        let bytes = self.bytes(data_start, byte_length)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect())
    }

    /// Reads every element of an `Array<T>` of objects at `ptr`.
    pub fn array<T: FromAsc>(&mut self, ptr: u32) -> Result<Vec<T>, HostError> {
        let pointers = self.array_pointers(ptr)?;
        self.depth += 1;
        let values = pointers.into_iter().map(|p| self.read(p)).collect();
        self.depth -= 1;
        values
    }

    /// The address and byte length of the data an array-like object at `ptr` shows, checked to
    /// lie within its buffer.
    ///
    /// AssemblyScript 0.19: typed arrays are `{buffer, dataStart, byteLength}` and `Array<T>`
    /// `{buffer, dataStart, byteLength, length}`; the buffer's size is in its header.
    /// AssemblyScript 0.6: typed arrays are `{buffer, byteOffset, byteLength}` and `Array<T>`
    /// `{buffer, length}` (from the start of the data); the buffer starts with its size.
    fn view(&mut self, ptr: u32, view: View) -> Result<(u32, u32), HostError> {
        let size = match (self.layout, view) {
            (Layout::AssemblyScript019, View::TypedArray) => 12,
            (Layout::AssemblyScript019, View::Array { .. }) => 16,
            (Layout::AssemblyScript06, View::TypedArray) => 12,
            (Layout::AssemblyScript06, View::Array { .. }) => 8,
        };
        let mut fields = self.fields(ptr, size)?;
        let buffer = fields.u32();
        if buffer == 0 {
            return Err(deterministic!("array at {ptr} has a null buffer"));
        }
        let (data, buffer_size) = match self.layout {
            Layout::AssemblyScript019 => (buffer, self.object_size(buffer)?),
            Layout::AssemblyScript06 => {
                let data = buffer.checked_add(BUFFER_PREFIX_06).ok_or_else(|| {
                    deterministic!("array at {ptr} has a buffer at {buffer}, past the memory")
                })?;
                (data, self.u32_at(buffer)?)
            }
        };
        let (offset, mut byte_length) = match self.layout {
            Layout::AssemblyScript019 => {
                let data_start = fields.u32();
                let offset = data_start.checked_sub(buffer).ok_or_else(|| {
                    deterministic!(
                        "array at {ptr} starts at {data_start}, before its buffer at {buffer}"
                    )
                })?;
                (offset, fields.u32())
            }
            Layout::AssemblyScript06 => match view {
                View::TypedArray => (fields.u32(), fields.u32()),
                View::Array { .. } => (0, 0),
            },
        };
        if let View::Array { element_size } = view {
            let length = fields.u32();
            byte_length = length
                .checked_mul(element_size)
                .filter(|&n| n <= MAX_OBJECT_BYTES)
                .ok_or_else(|| too_large(u64::from(length) * u64::from(element_size)))?;
        }
        if u64::from(offset) + u64::from(byte_length) > u64::from(buffer_size) {
            return Err(deterministic!(
                "array at {ptr} views {byte_length} bytes at offset {offset} of a buffer of \
                 {buffer_size} bytes"
            ));
        }
        // `data + offset` lies within the buffer, which lies within the memory (checked when
        // the bytes are read); an address past 4 GiB cannot.
        let start = data.checked_add(offset).ok_or_else(|| {
            deterministic!("array at {ptr} views data past the end of a 32-bit memory")
        })?;
        Ok((start, byte_length))
    }
}

/// The two kinds of array-like objects.
#[derive(Clone, Copy)]
enum View {
    /// `Uint8Array` and the other typed arrays: a byte length.
    TypedArray,
    /// `Array<T>`: a number of elements of `element_size` bytes.
    Array { element_size: u32 },
}

fn check_size(len: u32) -> Result<(), HostError> {
    if len > MAX_OBJECT_BYTES {
        return Err(too_large(u64::from(len)));
    }
    Ok(())
}

fn too_large(len: u64) -> HostError {
    deterministic!(
        "object size limit exceeded: the mapping passed an object of {len} bytes, the limit is \
         {MAX_OBJECT_BYTES} bytes"
    )
}

/// Reads the fields of a class instance in declaration order, each aligned to its size.
pub(crate) struct FieldReader {
    bytes: Vec<u8>,
    offset: usize,
}

impl FieldReader {
    pub fn u32(&mut self) -> u32 {
        self.offset = self.offset.next_multiple_of(4);
        let word = self.take::<4>();
        u32::from_le_bytes(word)
    }

    pub fn u64(&mut self) -> u64 {
        self.offset = self.offset.next_multiple_of(8);
        u64::from_le_bytes(self.take::<8>())
    }

    /// The next `N` bytes; zeros past the end (callers check the object size up front).
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let end = (self.offset + N).min(self.bytes.len());
        let available = end.saturating_sub(self.offset);
        out[..available].copy_from_slice(&self.bytes[self.offset..end]);
        self.offset += N;
        out
    }
}

/// A Rust value decoded from an AssemblyScript object.
pub(crate) trait FromAsc: Sized {
    /// Decodes the object at `ptr` (never `null`: [`Reader::read`] checked).
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<Self, HostError>;
}

/// `String`: UTF-16LE code units. Decoding is strict (a lone surrogate is an error) and every
/// U+0000 is removed, as graph-node does (Postgres text cannot hold it).
impl FromAsc for String {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<String, HostError> {
        let bytes = reader.string_units(ptr)?;
        decode_utf16(&bytes)
    }
}

pub(crate) fn decode_utf16(bytes: &[u8]) -> Result<String, HostError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(deterministic!(
            "string has an odd number of bytes ({}); UTF-16 needs two per code unit",
            bytes.len()
        ));
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    let mut s = String::from_utf16(&units)
        .map_err(|e| deterministic!("string is not valid UTF-16: {e}"))?;
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
    Ok(s)
}

/// `Uint8Array` (graph-ts `Bytes`, `ByteArray`).
impl FromAsc for Vec<u8> {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<Vec<u8>, HostError> {
        reader.uint8_array(ptr)
    }
}

/// `Address`: a `Uint8Array` of exactly 20 bytes.
impl FromAsc for [u8; 20] {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<[u8; 20], HostError> {
        let bytes = reader.uint8_array(ptr)?;
        <[u8; 20]>::try_from(bytes.as_slice()).map_err(|_| {
            deterministic!("expected an Address of 20 bytes, got {} bytes", bytes.len())
        })
    }
}

/// `BigInt`: a `Uint8Array` of signed little-endian two's-complement bytes (empty is zero),
/// within graph-node's size limit.
impl FromAsc for BigInt {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<BigInt, HostError> {
        let bytes = reader.uint8_array(ptr)?;
        BigInt::from_signed_bytes_le(&bytes)
            .check_size()
            .map_err(HostError::deterministic)
    }
}

/// `BigDecimal { digits: BigInt, exp: BigInt }`, normalized on the way in.
impl FromAsc for BigDecimal {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<BigDecimal, HostError> {
        let mut fields = reader.fields(ptr, 8)?;
        let (digits, exp) = (fields.u32(), fields.u32());
        let digits: BigInt = reader.read(digits)?;
        let exp: BigInt = reader.read(exp)?;
        let exp = exp
            .to_i64()
            .ok_or_else(|| deterministic!("BigDecimal exponent {exp} does not fit in 64 bits"))?;
        BigDecimal::new(digits, exp).map_err(HostError::deterministic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_is_strict_and_drops_nuls() {
        let encode = |s: &[u16]| -> Vec<u8> { s.iter().flat_map(|u| u.to_le_bytes()).collect() };
        let flag: Vec<u16> = "漢字Go🇧🇷".encode_utf16().collect();
        assert_eq!(decode_utf16(&encode(&flag)).unwrap(), "漢字Go🇧🇷");
        assert_eq!(decode_utf16(&encode(&[0x61, 0, 0x62])).unwrap(), "ab");
        assert!(decode_utf16(&encode(&[0xd800])).is_err());
        assert!(decode_utf16(&[0x61]).is_err());
    }

    #[test]
    fn field_reader_aligns() {
        let mut bytes = vec![0u8; 16];
        bytes[0] = 7;
        bytes[8] = 9;
        let mut fields = FieldReader { bytes, offset: 0 };
        assert_eq!(fields.u32(), 7);
        assert_eq!(fields.u64(), 9);
        assert_eq!(fields.u32(), 0, "reads past the end are zero");
    }
}
