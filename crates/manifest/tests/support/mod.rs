//! Shared by the manifest tests: a one-data-source subgraph written to a temporary folder from
//! parts, so each test states only what it is about.

#![allow(dead_code)]

use std::path::Path;

use sprig_manifest::Manifest;

/// A subgraph whose data source `name` reads ABI `abi_name` (`abi`), with `mapping_extra` lines
/// after the mapping's `file:` line (handlers), `top_level` lines after `schema:` (features,
/// indexerHints) and `after` lines at the end (more data sources, templates).
pub struct Subgraph {
    pub spec_version: String,
    pub api_version: String,
    pub schema: String,
    pub name: String,
    pub abi_name: String,
    pub abi: String,
    pub wasm: Vec<u8>,
    /// Whether the data source has `source.address`.
    pub address: bool,
    pub top_level: String,
    pub mapping_extra: String,
    pub after: String,
}

impl Default for Subgraph {
    fn default() -> Self {
        Subgraph {
            spec_version: "1.2.0".into(),
            api_version: "0.0.9".into(),
            schema: "type Thing @entity(immutable: true) { id: ID! }\n".into(),
            name: "Token".into(),
            abi_name: "Token".into(),
            abi: "[]".into(),
            wasm: b"\0asm\x01\0\0\0".to_vec(),
            address: true,
            top_level: String::new(),
            mapping_extra: "      blockHandlers:\n        - handler: handleBlock\n".into(),
            after: String::new(),
        }
    }
}

impl Subgraph {
    /// Writes the subgraph to a new temporary folder and loads its manifest.
    pub fn load(&self) -> anyhow::Result<Manifest> {
        self.load_in(tempfile::tempdir().unwrap().path())
    }

    /// Writes the subgraph to `dir` and loads its manifest, `dir/subgraph.yaml`.
    pub fn load_in(&self, dir: &Path) -> anyhow::Result<Manifest> {
        std::fs::write(dir.join("schema.graphql"), &self.schema).unwrap();
        std::fs::write(dir.join(format!("{}.json", self.abi_name)), &self.abi).unwrap();
        std::fs::write(dir.join("m.wasm"), &self.wasm).unwrap();
        let address = if self.address {
            "      address: \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n"
        } else {
            ""
        };
        let yaml = format!(
            "specVersion: {spec}
schema:
  file: ./schema.graphql
{top}
dataSources:
  - kind: ethereum
    name: {name}
    network: anvil
    source:
{address}      abi: {abi}
    mapping:
      kind: ethereum/events
      apiVersion: {api}
      language: wasm/assemblyscript
      entities: [Thing]
      abis:
        - name: {abi}
          file: ./{abi}.json
      file: ./m.wasm
{extra}{after}",
            spec = self.spec_version,
            top = self.top_level,
            name = self.name,
            abi = self.abi_name,
            api = self.api_version,
            extra = self.mapping_extra,
            after = self.after,
        );
        let path = dir.join("subgraph.yaml");
        std::fs::write(&path, yaml).unwrap();
        Manifest::load(&path)
    }
}
