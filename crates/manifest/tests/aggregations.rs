//! Subgraphs with timeseries and `@aggregation` types: graph-node's specVersion rule, and the
//! refusal that stands until Sprig indexes them.

mod support;

use support::Subgraph;

const SCHEMA: &str = r#"
type Trade @entity(timeseries: true) {
  id: Int8!
  timestamp: Timestamp!
  amount: BigInt!
}
type Volume @aggregation(intervals: ["hour"], source: "Trade") {
  id: Int8!
  timestamp: Timestamp!
  total: BigInt! @aggregate(fn: "sum", arg: "amount")
}
"#;

fn load_error(spec_version: &str) -> String {
    let subgraph = Subgraph {
        spec_version: spec_version.into(),
        schema: SCHEMA.into(),
        ..Subgraph::default()
    };
    format!("{:#}", subgraph.load().unwrap_err())
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
fn valid_aggregations_are_refused_until_indexed() {
    let err = load_error("1.1.0");
    assert!(
        err.contains("timeseries and @aggregation types are not supported yet"),
        "{err}"
    );
}
