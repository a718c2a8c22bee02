//! `graft:` in the manifest: parsed into [`Graft`], the base checked as graph-node checks a
//! deployment hash, and graph-node's feature rule (specVersion 0.0.4 and later: `grafting` must
//! be declared).

mod support;

use sprig_manifest::{Graft, Manifest};
use support::Subgraph;

fn load(spec_version: &str, top_level: &str) -> anyhow::Result<Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        top_level: top_level.into(),
        ..Subgraph::default()
    }
    .load()
}

const BASE: &str = "QmSWWT2yrTFDZSGWaZ2HFcv3r4zCYWPmbmiXLvpbPeiFyd";

#[test]
fn graft_parses_with_the_feature_declared() {
    let manifest = load(
        "1.2.0",
        &format!("features:\n  - grafting\ngraft:\n  base: {BASE}\n  block: 42\n"),
    )
    .unwrap();
    assert_eq!(
        manifest.graft,
        Some(Graft {
            base: BASE.into(),
            block: 42
        })
    );
    assert_eq!(load("1.2.0", "").unwrap().graft, None);
}

#[test]
fn graft_without_the_feature_is_refused_from_spec_version_0_0_4() {
    let graft = format!("graft:\n  base: {BASE}\n  block: 7\n");
    for spec in ["0.0.4", "0.0.9", "1.2.0"] {
        let err = format!("{:#}", load(spec, &graft).unwrap_err());
        assert!(
            err.contains(
                "The feature `grafting` is used by the subgraph but it is not declared in the manifest"
            ) && err.contains("features: [grafting]")
                && err.contains("invalid manifest")
                && err.contains("subgraph.yaml"),
            "{spec}: {err}"
        );
    }
    // graph-node validates features only from specVersion 0.0.4 on.
    assert_eq!(load("0.0.3", &graft).unwrap().graft.unwrap().block, 7);
}

#[test]
fn bad_graft_bases_and_blocks_are_refused() {
    let err = |top: &str| {
        format!(
            "{:#}",
            load("1.2.0", &format!("features: [grafting]\n{top}")).unwrap_err()
        )
    };
    for base in ["my-subgraph", "subgraphs", "Qm/x", &"Q".repeat(47)] {
        let e = err(&format!("graft:\n  base: \"{base}\"\n  block: 1\n"));
        assert!(
            e.contains("`graft.base` must be a deployment id"),
            "{base}: {e}"
        );
    }
    let e = err("graft:\n  base: Qm1\n  block: -1\n");
    assert!(
        e.contains("`graft` must be `{ base: <deployment id>, block: <number> }`")
            && e.contains("expected u64"),
        "{e}"
    );
    let e = err("graft:\n  base: Qm1\n");
    assert!(e.contains("missing field `block`"), "{e}");
}
