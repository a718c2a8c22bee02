//! `file/ipfs` templates (specVersion 0.0.7 and later): a handler taking the file's bytes and the
//! entity types it may write; static file data sources and malformed file templates are refused.

mod support;

use sprig_manifest::{Manifest, TemplateKind};
use support::Subgraph;

/// A manifest with one contract data source and the given extra `dataSources` entry and
/// `templates` section.
fn load(spec_version: &str, extra_data_source: &str, templates: &str) -> anyhow::Result<Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        api_version: "0.0.7".into(),
        schema: "type Thing @entity { id: ID! }\ntype Doc @entity(immutable: true) { id: ID! }\n"
            .into(),
        after: format!("{extra_data_source}\ntemplates:\n{templates}\n"),
        ..Subgraph::default()
    }
    .load()
}

const FILE_TEMPLATE: &str = "  - kind: file/ipfs
    name: DocFile
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.7
      language: wasm/assemblyscript
      entities: [Doc, NotAType]
      handler: handleDoc
      file: ./m.wasm
";

#[test]
fn file_templates_have_a_handler_and_known_entities() {
    let manifest = load("0.0.7", "", FILE_TEMPLATE).unwrap();
    let template = manifest.template("DocFile").unwrap();
    assert!(template.is_file());
    assert_eq!(
        template.kind,
        TemplateKind::File {
            handler: "handleDoc".to_string()
        }
    );
    // graph-node drops entity names the schema does not define.
    assert_eq!(template.mapping.entities, ["Doc"]);
}

#[test]
fn file_templates_need_spec_version_0_0_7() {
    let err = format!("{:#}", load("0.0.6", "", FILE_TEMPLATE).unwrap_err());
    assert!(err.contains("templates[0] (`DocFile`)"), "{err}");
    assert!(err.contains("need specVersion 0.0.7 or later"), "{err}");
}

#[test]
fn file_templates_need_a_handler_and_nothing_else() {
    let no_handler = FILE_TEMPLATE.replace("      handler: handleDoc\n", "");
    let err = format!("{:#}", load("0.0.7", "", &no_handler).unwrap_err());
    assert!(err.contains("needs `mapping.handler`"), "{err}");
    let with_events =
        format!("{FILE_TEMPLATE}      blockHandlers:\n        - handler: handleBlock\n");
    let err = format!("{:#}", load("0.0.7", "", &with_events).unwrap_err());
    assert!(err.contains("has only `mapping.handler`"), "{err}");
}

#[test]
fn static_file_data_sources_are_refused() {
    let extra = "  - kind: file/ipfs
    name: StaticDoc
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.7
      language: wasm/assemblyscript
      entities: [Doc]
      handler: handleDoc
      file: ./m.wasm";
    let err = format!("{:#}", load("0.0.7", extra, FILE_TEMPLATE).unwrap_err());
    assert!(
        err.contains("dataSources[1] (`StaticDoc`): static file data sources are not supported"),
        "{err}"
    );
}

#[test]
fn unknown_template_kinds_are_refused() {
    let arweave = FILE_TEMPLATE.replace("file/ipfs", "file/arweave");
    let err = format!("{:#}", load("0.0.7", "", &arweave).unwrap_err());
    assert!(
        err.contains("template kind `file/arweave` is not supported"),
        "{err}"
    );
}
