//! File templates (`file/ipfs`, `file/arweave`; any specVersion, as in graph-node): a handler
//! taking the file's bytes and the entity types it may write; static file data sources and
//! malformed file templates are refused, with the same rules for both kinds.

mod support;

use sprig_manifest::{FileSource, Manifest, TemplateKind};
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

/// [`FILE_TEMPLATE`] of each file kind.
fn file_templates() -> [(FileSource, String); 2] {
    [FileSource::Ipfs, FileSource::Arweave]
        .map(|source| (source, FILE_TEMPLATE.replace("file/ipfs", source.kind())))
}

#[test]
fn file_templates_have_a_handler_and_known_entities() {
    for (source, template) in file_templates() {
        let manifest = load("0.0.7", "", &template).unwrap();
        let template = manifest.template("DocFile").unwrap();
        assert!(template.is_file());
        assert_eq!(template.file_source(), Some(source));
        assert_eq!(
            template.kind,
            TemplateKind::File {
                handler: "handleDoc".to_string(),
                source,
            }
        );
        // graph-node drops entity names the schema does not define.
        assert_eq!(template.mapping.entities, ["Doc"]);
    }
}

/// graph-tooling's Lens posts example (`matic-lens-protocol-posts-subgraph`): a `file/arweave`
/// and a `file/ipfs` template with one handler, under specVersion 0.0.5. graph-node refuses
/// offchain kinds before 0.0.7 in `dataSources` only, so it runs; so must it here.
#[test]
fn file_templates_load_at_any_spec_version_as_in_lens_posts() {
    let lens = "  - kind: file/arweave
    name: ArweaveContent
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.7
      language: wasm/assemblyscript
      entities:
        - Doc
      abis:
        - name: Token
          file: ./Token.json
      handler: handlePostContent
      file: ./m.wasm
  - kind: file/ipfs
    name: IpfsContent
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.7
      language: wasm/assemblyscript
      entities:
        - Doc
      abis:
        - name: Token
          file: ./Token.json
      handler: handlePostContent
      file: ./m.wasm
";
    let manifest = load("0.0.5", "", lens).unwrap();
    let sources: Vec<_> = manifest
        .templates
        .iter()
        .map(|t| (t.name.as_str(), t.file_source()))
        .collect();
    assert_eq!(
        sources,
        [
            ("ArweaveContent", Some(FileSource::Arweave)),
            ("IpfsContent", Some(FileSource::Ipfs))
        ]
    );
}

#[test]
fn file_templates_need_a_handler_and_nothing_else() {
    for (_, template) in file_templates() {
        let no_handler = template.replace("      handler: handleDoc\n", "");
        let err = format!("{:#}", load("0.0.7", "", &no_handler).unwrap_err());
        assert!(err.contains("needs `mapping.handler`"), "{err}");
        let with_events =
            format!("{template}      blockHandlers:\n        - handler: handleBlock\n");
        let err = format!("{:#}", load("0.0.7", "", &with_events).unwrap_err());
        assert!(err.contains("has only `mapping.handler`"), "{err}");
    }
}

#[test]
fn static_file_data_sources_are_refused() {
    for kind in ["file/ipfs", "file/arweave"] {
        let extra = format!(
            "  - kind: {kind}
    name: StaticDoc
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.7
      language: wasm/assemblyscript
      entities: [Doc]
      handler: handleDoc
      file: ./m.wasm"
        );
        let err = format!("{:#}", load("0.0.7", &extra, FILE_TEMPLATE).unwrap_err());
        assert!(
            err.contains(
                "dataSources[1] (`StaticDoc`): static file data sources are not supported"
            ),
            "{err}"
        );
    }
}

#[test]
fn unknown_template_kinds_are_refused() {
    let other = FILE_TEMPLATE.replace("file/ipfs", "file/filecoin");
    let err = format!("{:#}", load("0.0.7", "", &other).unwrap_err());
    assert!(
        err.contains("template kind `file/filecoin` is not supported"),
        "{err}"
    );
}
