//! graph-node's minimum specVersion per data source (`min_spec_version`): `polling` and `once`
//! block handlers need 0.0.8, topic1-3 filters on event handlers 1.2.0.

mod support;

use support::Subgraph;

const TRANSFER_ABI: &str = r#"[{"type":"event","name":"Transfer","anonymous":false,"inputs":[
    {"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},
    {"name":"value","type":"uint256","indexed":false}]}]"#;

fn load(spec_version: &str, handlers: &str) -> anyhow::Result<sprig_manifest::Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        abi: TRANSFER_ABI.into(),
        mapping_extra: handlers.into(),
        ..Subgraph::default()
    }
    .load()
}

#[test]
fn topic_filters_need_spec_version_1_2_0() {
    let handlers = "      eventHandlers:
        - event: Transfer(indexed address,indexed address,uint256)
          handler: handleTransfer
          topic2: ['0x0000000000000000000000000000000000000000000000000000000000000001']
";
    let err = format!("{:#}", load("1.1.0", handlers).unwrap_err());
    assert!(
        err.contains("uses spec version 1.1.0, but data source `Token` requires at least version 1.2.0 (topic1-3 filters on event handlers)"),
        "{err}"
    );
    let manifest = load("1.2.0", handlers).unwrap();
    assert_eq!(
        manifest.data_sources[0].mapping.event_handlers[0].topic_filters[1].len(),
        1
    );
    // Without topic filters, any supported version will do.
    let plain = "      eventHandlers:
        - event: Transfer(indexed address,indexed address,uint256)
          handler: handleTransfer
";
    load("0.0.5", plain).unwrap();
}

#[test]
fn polling_and_once_need_spec_version_0_0_8() {
    for filter in ["{ kind: polling, every: 10 }", "{ kind: once }"] {
        let handlers = format!(
            "      blockHandlers:\n        - handler: handleBlock\n          filter: {filter}\n"
        );
        let err = format!("{:#}", load("0.0.7", &handlers).unwrap_err());
        assert!(
            err.contains("requires at least version 0.0.8 (`polling` or `once` block handlers)"),
            "{filter}: {err}"
        );
        load("0.0.8", &handlers).unwrap();
    }
    // An unfiltered block handler has no minimum.
    load(
        "0.0.5",
        "      blockHandlers:\n        - handler: handleBlock\n",
    )
    .unwrap();
}
