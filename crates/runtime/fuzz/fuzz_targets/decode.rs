//! Decodes AssemblyScript objects out of arbitrary guest memory images. The decoder must never
//! panic and every error must be deterministic (`sprig_runtime::fuzzing::decode` asserts both).
//!
//! Input layout: byte 0 selects the value kind, byte 1 the memory size (bit 0: 1 or 2 pages) and whether the pointer is
//! taken modulo the image size (bit 1), bytes 2..6
//! the pointer (little-endian), the rest is the start of the memory image. Run from
//! crates/runtime/fuzz: `cargo +nightly fuzz run decode -- -max_total_time=300`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let kind = data[0];
    let pages = 1 + u32::from(data[1] & 1);
    let raw = u32::from_le_bytes([data[2], data[3], data[4], data[5]]);
    // Mostly pointers into (or just past) the image, sometimes anywhere.
    let ptr = if data[1] & 2 == 0 {
        raw % (data.len() as u32 + 64)
    } else {
        raw
    };
    let _ = sprig_runtime::fuzzing::decode(&data[6..], pages, ptr, kind);
});
