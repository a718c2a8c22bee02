//! A module's top-level code, run once the host can write into its memory.
//!
//! AssemblyScript 0.6 mappings (apiVersion 0.0.4 and older) initialise their globals in a wasm
//! start section, which wasmtime would run during instantiation, before the host knows the
//! instance's memory and allocator; a global like `Address.fromString(..)` calls the host,
//! which must write its result into that memory. So, as graph-node does, the start section is
//! taken out of the module when it is loaded and its function exported instead
//! ([`defer_start_section`]), and [`run_top_level`] calls it once the heap is attached, followed
//! by `_start` for AssemblyScript 0.19 mappings (graph-cli's `--explicitStart`).

use std::borrow::Cow;

use wasmtime::{Instance, Store};

use crate::asc::Layout;
use crate::state::HostState;

/// The export a deferred start function gets.
const START_EXPORT: &str = "sprig:start";

const EXPORT_SECTION: u8 = 7;
const START_SECTION: u8 = 8;
const FUNC_EXPORT: u8 = 0;

/// The module without its start section and with the start function exported as
/// `sprig:start`; the module itself when it has no start section. Anything that does not parse
/// as wasm sections is returned unchanged, for the compiler to report.
pub(crate) fn defer_start_section(wasm: &[u8]) -> Cow<'_, [u8]> {
    match rewrite(wasm) {
        Some(rewritten) => Cow::Owned(rewritten),
        None => Cow::Borrowed(wasm),
    }
}

/// Runs the instance's top-level code: the deferred start function, if the module had one,
/// then `_start` for layouts that export it.
pub(crate) async fn run_top_level(
    store: &mut Store<HostState>,
    instance: &Instance,
    layout: Layout,
) -> wasmtime::Result<()> {
    if let Some(start) = instance.get_func(&mut *store, START_EXPORT) {
        start
            .typed::<(), ()>(&*store)?
            .call_async(&mut *store, ())
            .await?;
    }
    if layout.has_explicit_start() {
        let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
        start.call_async(&mut *store, ()).await?;
    }
    Ok(())
}

/// One top-level section: its id, where it starts (at the id byte) and its content.
struct Section {
    id: u8,
    start: usize,
    content: std::ops::Range<usize>,
}

fn rewrite(wasm: &[u8]) -> Option<Vec<u8>> {
    let sections = sections(wasm)?;
    let start = sections.iter().find(|s| s.id == START_SECTION)?;
    let mut reader = wasmparser::BinaryReader::new(&wasm[start.content.clone()], 0);
    let function = reader.read_var_u32().ok()?;
    let has_exports = sections.iter().any(|s| s.id == EXPORT_SECTION);

    let mut out = Vec::with_capacity(wasm.len() + START_EXPORT.len() + 8);
    out.extend_from_slice(&wasm[..8]);
    for section in &sections {
        match section.id {
            EXPORT_SECTION => {
                let exports = add_export(&wasm[section.content.clone()], function)?;
                push_section(&mut out, EXPORT_SECTION, &exports);
            }
            // The export section comes right before the start section; a module without one
            // gets it where the start section was.
            START_SECTION if !has_exports => {
                push_section(&mut out, EXPORT_SECTION, &add_export(&[0], function)?);
            }
            START_SECTION => {}
            _ => out.extend_from_slice(&wasm[section.start..section.content.end]),
        }
    }
    Some(out)
}

/// The top-level sections of a wasm binary, or `None` if it is not one.
fn sections(wasm: &[u8]) -> Option<Vec<Section>> {
    if wasm.get(..8)? != b"\0asm\x01\0\0\0" {
        return None;
    }
    let mut sections = Vec::new();
    let mut offset = 8;
    while offset < wasm.len() {
        let start = offset;
        let mut reader = wasmparser::BinaryReader::new(&wasm[offset + 1..], 0);
        let size = reader.read_var_u32().ok()? as usize;
        let content_start = offset + 1 + reader.current_position();
        let end = content_start
            .checked_add(size)
            .filter(|&e| e <= wasm.len())?;
        sections.push(Section {
            id: wasm[start],
            start,
            content: content_start..end,
        });
        offset = end;
    }
    Some(sections)
}

/// An export section's content with one more entry: `sprig:start` for `function`.
fn add_export(content: &[u8], function: u32) -> Option<Vec<u8>> {
    let mut reader = wasmparser::BinaryReader::new(content, 0);
    let count = reader.read_var_u32().ok()?;
    let entries = &content[reader.current_position()..];
    let mut out = leb128(count.checked_add(1)?);
    out.extend_from_slice(entries);
    out.extend(leb128(START_EXPORT.len() as u32));
    out.extend_from_slice(START_EXPORT.as_bytes());
    out.push(FUNC_EXPORT);
    out.extend(leb128(function));
    Some(out)
}

fn push_section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    out.extend(leb128(content.len() as u32));
    out.extend_from_slice(content);
}

/// Unsigned LEB128, as wasm encodes every count and index.
fn leb128(mut value: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(5);
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module whose start function sets a global, in the binary format, section by section.
    fn module(with_exports: bool) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        push_section(&mut wasm, 1, &[1, 0x60, 0, 0]); // type 0: () -> ()
        push_section(&mut wasm, 3, &[1, 0]); // function 0 has type 0
        push_section(&mut wasm, 6, &[1, 0x7f, 1, 0x41, 0, 0x0b]); // mut i32 global = 0
        if with_exports {
            push_section(&mut wasm, EXPORT_SECTION, &[1, 1, b'g', 3, 0]); // global 0 as "g"
        }
        push_section(&mut wasm, START_SECTION, &[0]);
        // function 0: global.set 0 (i32.const 7)
        push_section(&mut wasm, 10, &[1, 6, 0, 0x41, 7, 0x24, 0, 0x0b]);
        wasm
    }

    fn exports(wasm: &[u8]) -> Vec<String> {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, wasm).unwrap();
        module.exports().map(|e| e.name().to_string()).collect()
    }

    #[test]
    fn the_start_function_becomes_an_export() {
        for with_exports in [true, false] {
            let wasm = module(with_exports);
            let rewritten = defer_start_section(&wasm);
            assert!(matches!(rewritten, Cow::Owned(_)));
            let sections = sections(&rewritten).unwrap();
            assert!(sections.iter().all(|s| s.id != START_SECTION));
            let mut want = vec!["sprig:start".to_string()];
            if with_exports {
                want.insert(0, "g".to_string());
            }
            assert_eq!(exports(&rewritten), want);

            // Instantiating no longer runs it; calling the export does.
            let engine = wasmtime::Engine::default();
            let module = wasmtime::Module::new(&engine, &*rewritten).unwrap();
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
            if with_exports {
                let g = instance.get_global(&mut store, "g").unwrap();
                assert_eq!(g.get(&mut store).i32(), Some(0));
                let start = instance
                    .get_typed_func::<(), ()>(&mut store, START_EXPORT)
                    .unwrap();
                start.call(&mut store, ()).unwrap();
                assert_eq!(g.get(&mut store).i32(), Some(7));
            }
        }
    }

    #[test]
    fn other_modules_are_left_alone() {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        push_section(&mut wasm, 1, &[1, 0x60, 0, 0]);
        assert!(matches!(defer_start_section(&wasm), Cow::Borrowed(_)));
        assert!(matches!(defer_start_section(b"not wasm"), Cow::Borrowed(_)));
        // A section claiming more bytes than there are.
        let truncated = [&wasm[..], &[10, 50, 1]].concat();
        assert!(matches!(defer_start_section(&truncated), Cow::Borrowed(_)));
    }

    #[test]
    fn leb128_encodes_like_wasm() {
        assert_eq!(leb128(0), vec![0]);
        assert_eq!(leb128(127), vec![0x7f]);
        assert_eq!(leb128(128), vec![0x80, 1]);
        assert_eq!(leb128(u32::MAX), vec![0xff, 0xff, 0xff, 0xff, 0x0f]);
    }
}
