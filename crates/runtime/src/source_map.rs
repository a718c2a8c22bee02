//! AssemblyScript source maps: which `.ts` line a wasm code offset came from, for backtraces.
//!
//! `asc --sourceMap` (not `graph build`, which has no such option) writes `<out>.wasm.map`, a
//! source map v3 for a single "line": each mapping's generated column is a byte offset in the
//! wasm module, exactly what wasmtime reports as a frame's module offset. The wasm gets a
//! `sourceMappingURL` custom section naming the map; the code is otherwise byte for byte what
//! graph-cli builds, so a map made by asc also fits graph-cli's wasm beside it.
//!
//! A source map only improves messages: one that is missing, unreadable or made for another
//! build is logged and ignored, and backtraces fall back to offsets. It never affects results.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};

/// Source positions of a mapping's wasm code.
#[derive(Debug)]
pub(crate) struct SourceMap {
    map: sourcemap::SourceMap,
    path: PathBuf,
}

impl SourceMap {
    /// The source map of the mapping `name` whose wasm was read from `wasm_path`: the file its
    /// `sourceMappingURL` section names (relative to the wasm file), else `<wasm_path>.map`.
    /// `None` if there is none, or if it cannot be used (logged as a warning).
    pub fn find(name: &str, wasm: &[u8], wasm_path: &Path) -> Option<SourceMap> {
        let beside = {
            let mut file = wasm_path.as_os_str().to_owned();
            file.push(".map");
            PathBuf::from(file)
        };
        let path = match source_mapping_url(wasm) {
            Some(url) if url.contains("://") || url.starts_with("data:") => {
                tracing::warn!(
                    target: "sprig::runtime",
                    "mapping `{name}`: its sourceMappingURL `{url}` is not a file path; \
                     looking for {} instead",
                    beside.display()
                );
                beside
            }
            Some(url) => wasm_path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(url.trim_start_matches("./")),
            None if beside.exists() => beside,
            None => return None,
        };
        let loaded = std::fs::read(&path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|bytes| SourceMap::parse(&bytes, wasm.len(), path.clone()));
        match loaded {
            Ok(map) => {
                tracing::info!(
                    target: "sprig::runtime",
                    "mapping `{name}`: backtraces use the source map {}",
                    map.path.display()
                );
                Some(map)
            }
            Err(e) => {
                tracing::warn!(
                    target: "sprig::runtime",
                    "mapping `{name}`: ignoring its source map: {e:#}; backtraces show wasm \
                     offsets"
                );
                None
            }
        }
    }

    /// Parses a source map for a wasm module of `wasm_len` bytes, checking that it is one:
    /// everything on one line, no offset past the module's end.
    fn parse(bytes: &[u8], wasm_len: usize, path: PathBuf) -> anyhow::Result<SourceMap> {
        let mut map = sourcemap::SourceMap::from_slice(bytes)
            .with_context(|| format!("{} is not a source map", path.display()))?;
        // asc sets `sourceRoot` to the wasm file's own name, which would prefix every source.
        map.set_source_root(None::<String>);
        for token in map.tokens() {
            ensure!(
                token.get_dst_line() == 0 && (token.get_dst_col() as usize) < wasm_len,
                "{} does not belong to this wasm module (it maps line {}, column {}; the module \
                 has {wasm_len} bytes on one line)",
                path.display(),
                token.get_dst_line(),
                token.get_dst_col()
            );
        }
        Ok(SourceMap { map, path })
    }

    /// Where the map was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `source:line:column` (1-based) of the code at `offset` in the wasm module: the nearest
    /// mapped instruction at or before it. `None` where the map says nothing about it.
    pub fn locate(&self, offset: usize) -> Option<String> {
        let token = self.map.lookup_token(0, u32::try_from(offset).ok()?)?;
        let source = token.get_source()?;
        Some(format!(
            "{source}:{}:{}",
            token.get_src_line() + 1,
            token.get_src_col() + 1
        ))
    }
}

/// The URL a `sourceMappingURL` custom section holds, if the module has one.
fn source_mapping_url(wasm: &[u8]) -> Option<String> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        // The module already compiled, so it parses; stop quietly if not.
        let Ok(payload) = payload else { return None };
        if let wasmparser::Payload::CustomSection(section) = payload {
            if section.name() == "sourceMappingURL" {
                // The section's content is a wasm string: a LEB128 length, then UTF-8.
                let mut reader = wasmparser::BinaryReader::new(section.data(), 0);
                return reader.read_string().ok().map(str::to_string);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map whose single line maps offset 10 to a.ts:3:5 (0-based 2:4) and offset 20 to
    /// b.ts:1:1, and offset 30 to nothing (a one-field segment).
    const MAP: &str = r#"{"version":3,"sources":["a.ts","b.ts"],"names":[],
        "mappings":"UAEI,UCFJ,U"}"#;

    fn map(wasm_len: usize) -> anyhow::Result<SourceMap> {
        SourceMap::parse(MAP.as_bytes(), wasm_len, PathBuf::from("x.wasm.map"))
    }

    #[test]
    fn offsets_map_to_the_nearest_mapped_instruction_before_them() {
        let map = map(100).unwrap();
        assert_eq!(map.locate(9), None);
        assert_eq!(map.locate(10).as_deref(), Some("a.ts:3:5"));
        assert_eq!(map.locate(19).as_deref(), Some("a.ts:3:5"));
        assert_eq!(map.locate(20).as_deref(), Some("b.ts:1:1"));
        assert_eq!(map.locate(30), None);
        assert_eq!(map.locate(usize::MAX), None);
    }

    #[test]
    fn maps_for_another_module_or_not_maps_are_refused() {
        let error = format!("{:#}", map(25).unwrap_err());
        assert!(
            error.contains("x.wasm.map does not belong to this wasm module"),
            "{error}"
        );
        let two_lines = r#"{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA;AACA"}"#;
        let error = SourceMap::parse(two_lines.as_bytes(), 100, "y.map".into()).unwrap_err();
        assert!(format!("{error:#}").contains("maps line 1"), "{error:#}");
        for bad in [
            "",
            "{",
            "[]",
            r#"{"version":3,"sources":[],"mappings":"!!"}"#,
        ] {
            let error = SourceMap::parse(bad.as_bytes(), 100, "z.map".into()).unwrap_err();
            assert!(
                format!("{error:#}").starts_with("z.map is not a source map"),
                "{bad}: {error:#}"
            );
        }
    }

    #[test]
    fn the_url_comes_from_the_custom_section() {
        let url = b"./T.wasm.map";
        let name = b"sourceMappingURL";
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([0, (1 + name.len() + 1 + url.len()) as u8, name.len() as u8]);
        module.extend(name);
        module.push(url.len() as u8);
        module.extend(url);
        assert_eq!(source_mapping_url(&module).as_deref(), Some("./T.wasm.map"));
        assert_eq!(source_mapping_url(&module[..8]), None);
    }
}
