//! `indexerHints.prune`: parsed as graph-node does (`auto`, `never`, a number of blocks), refused
//! before specVersion 1.0.0 and with a message naming the rule otherwise.

mod support;

use sprig_manifest::{Manifest, Prune};
use support::Subgraph;

/// Loads a one-data-source subgraph with the given `specVersion` and top-level lines.
fn load(spec_version: &str, hints: &str) -> anyhow::Result<Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        top_level: hints.into(),
        ..Subgraph::default()
    }
    .load()
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
