//! Subgraphs with timeseries and `@aggregation` types: graph-node's specVersion rule, and the
//! refusal of aggregations that stands until Sprig's GraphQL server answers their queries.

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
fn valid_aggregations_are_refused_until_queryable() {
    let err = load_error("1.1.0");
    assert!(
        err.contains("@aggregation types are not supported yet: `Volume` is valid"),
        "{err}"
    );
}
