//! Bounds-checked access to the guest's linear memory: the only code in the runtime that touches
//! it.
//!
//! Reads copy out and writes copy in; no reference into guest memory is returned, so none can
//! outlive a call back into wasm (which may grow, and so move, the memory). A pointer or length
//! that does not fit the memory is a deterministic error, never a panic.

use wasmtime::{AsContext, AsContextMut, Memory};

use crate::error::{deterministic, HostError};

/// A handle on one instance's linear memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GuestMemory(Memory);

impl GuestMemory {
    pub fn new(memory: Memory) -> GuestMemory {
        GuestMemory(memory)
    }

    /// Copies `len` bytes starting at `ptr`.
    pub fn read(&self, cx: impl AsContext, ptr: u32, len: u32) -> Result<Vec<u8>, HostError> {
        let data = self.0.data(&cx);
        range(ptr, len, data.len())
            .map(|r| data[r].to_vec())
            .ok_or_else(|| out_of_bounds(ptr, len))
    }

    /// Reads a little-endian `u32` at `ptr`.
    pub fn read_u32(&self, cx: impl AsContext, ptr: u32) -> Result<u32, HostError> {
        let data = self.0.data(&cx);
        let r = range(ptr, 4, data.len()).ok_or_else(|| out_of_bounds(ptr, 4))?;
        let mut word = [0; 4];
        word.copy_from_slice(&data[r]);
        Ok(u32::from_le_bytes(word))
    }

    /// Copies `bytes` to `ptr`.
    pub fn write(
        &self,
        mut cx: impl AsContextMut,
        ptr: u32,
        bytes: &[u8],
    ) -> Result<(), HostError> {
        let data = self.0.data_mut(&mut cx);
        let len = u32::try_from(bytes.len()).map_err(|_| out_of_bounds(ptr, u32::MAX))?;
        let r = range(ptr, len, data.len()).ok_or_else(|| out_of_bounds(ptr, len))?;
        data[r].copy_from_slice(bytes);
        Ok(())
    }
}

/// The byte range `[ptr, ptr + len)` if it lies within a memory of `size` bytes.
fn range(ptr: u32, len: u32, size: usize) -> Option<std::ops::Range<usize>> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize)?;
    (end <= size).then_some(start..end)
}

fn out_of_bounds(ptr: u32, len: u32) -> HostError {
    deterministic!("Heap access out of bounds. Offset: {ptr} Size: {len}")
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(range(0, 4, 4), Some(0..4));
        assert_eq!(range(1, 4, 4), None);
        assert_eq!(
            range(u32::MAX, u32::MAX, usize::MAX),
            Some(u32::MAX as usize..(u32::MAX as usize) * 2)
        );
        assert_eq!(range(4, 0, 4), Some(4..4));
        assert_eq!(range(5, 0, 4), None);
    }
}
