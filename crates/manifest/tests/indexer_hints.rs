//! `indexerHints.prune`: parsed as graph-node does (`auto`, `never`, a number of blocks), refused
//! before specVersion 1.0.0 and with a message naming the rule otherwise.

use sprig_manifest::{Manifest, Prune};

/// Loads a one-data-source subgraph with the given `specVersion` and top-level lines.
fn load(spec_version: &str, hints: &str) -> anyhow::Result<Manifest> {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("schema.graphql"),
        "type Thing @entity(immutable: true) { id: ID! }\n",
    )
    .unwrap();
    std::fs::write(dir.join("Token.json"), "[]").unwrap();
    std::fs::write(dir.join("m.wasm"), b"\0asm").unwrap();
    let yaml = format!(
        "specVersion: {spec_version}
schema:
  file: ./schema.graphql
{hints}
dataSources:
  - kind: ethereum
    name: Token
    network: anvil
    source:
      address: \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"
      abi: Token
    mapping:
      kind: ethereum/events
      apiVersion: 0.0.9
      language: wasm/assemblyscript
      entities: [Thing]
      abis:
        - name: Token
          file: ./Token.json
      file: ./m.wasm
      blockHandlers:
        - handler: handleBlock
"
    );
    Manifest::from_yaml(&yaml, dir)
}

#[test]
fn prune_hints_parse() {
    assert_eq!(load("1.0.0", "").unwrap().prune, Prune::Never);
    let cases = [
        ("prune: auto", Prune::Auto),
        ("prune: never", Prune::Never),
        ("prune: 1000", Prune::Blocks(1000)),
        ("{}", Prune::Never),
    ];
    for (hint, expected) in cases {
        let hints = if hint == "{}" {
            "indexerHints: {}".to_string()
        } else {
            format!("indexerHints:\n  {hint}")
        };
        assert_eq!(load("1.2.0", &hints).unwrap().prune, expected, "{hint}");
    }
}

#[test]
fn bad_prune_hints_are_refused() {
    let err = |spec, hints| format!("{:#}", load(spec, hints).unwrap_err());
    let e = err("0.0.9", "indexerHints:\n  prune: auto");
    assert!(e.contains("needs specVersion 1.0.0"), "{e}");
    let e = err("1.0.0", "indexerHints:\n  prune: sometimes");
    assert!(
        e.contains("must be `auto`, `never` or a number of blocks, not `sometimes`"),
        "{e}"
    );
    let e = err("1.0.0", "indexerHints:\n  prune: 0");
    assert!(e.contains("at least one block"), "{e}");
}
