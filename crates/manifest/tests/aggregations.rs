//! Subgraphs with timeseries and `@aggregation` types: graph-node's specVersion rule.

mod support;

use support::Subgraph;

const TIMESERIES: &str = r#"
type Trade @entity(timeseries: true) {
  id: Int8!
  timestamp: Timestamp!
  amount: BigInt!
}
"#;

const AGGREGATION: &str = r#"
type Volume @aggregation(intervals: ["hour"], source: "Trade") {
  id: Int8!
  timestamp: Timestamp!
  total: BigInt! @aggregate(fn: "sum", arg: "amount")
}
"#;

fn load(spec_version: &str, schema: String) -> anyhow::Result<sprig_manifest::Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        schema,
        ..Subgraph::default()
    }
    .load()
}

fn load_error(spec_version: &str) -> String {
    format!(
        "{:#}",
        load(spec_version, format!("{TIMESERIES}{AGGREGATION}")).unwrap_err()
    )
}

#[test]
fn aggregations_need_spec_version_1_1_0() {
    let err = load_error("1.0.0");
    assert!(
        err.contains("Aggregations are not supported with spec version 1.0.0"),
        "{err}"
    );
}

#[test]
fn timeseries_need_spec_version_1_1_0() {
    let err = format!("{:#}", load("1.0.0", TIMESERIES.into()).unwrap_err());
    assert!(
        err.contains("Aggregations are not supported with spec version 1.0.0"),
        "{err}"
    );
    let manifest = load("1.1.0", TIMESERIES.into()).unwrap();
    assert!(manifest.schema.entity_type("Trade").unwrap().timeseries);
}

#[test]
fn aggregations_load_from_spec_version_1_1_0() {
    let manifest = load("1.1.0", format!("{TIMESERIES}{AGGREGATION}")).unwrap();
    let volume = manifest.schema.aggregation("Volume").unwrap();
    assert_eq!(volume.source, "Trade");
}
