//! `callHandlers` and `call` block filters in a manifest: resolved against the data source's ABI
//! at load, with errors that name the file, the data source and the handler.

use std::path::Path;

use alloy::primitives::keccak256;
use sprig_manifest::{BlockHandlerFilter, Manifest};
use support::Subgraph;

mod support;

const ABI: &str = r#"[
  {"type":"function","name":"register","stateMutability":"nonpayable",
   "inputs":[{"name":"id","type":"uint256"},{"name":"name","type":"string"}],
   "outputs":[{"name":"count","type":"uint256"}]},
  {"type":"function","name":"register","stateMutability":"payable",
   "inputs":[{"name":"id","type":"uint256"}],"outputs":[]},
  {"type":"function","name":"total","stateMutability":"view","inputs":[],
   "outputs":[{"name":"","type":"uint256"}]}
]"#;

/// Writes a subgraph whose data source has the given `mapping:` lines (after `file:`) and loads
/// it.
fn load(dir: &Path, address: bool, handlers: &str) -> anyhow::Result<Manifest> {
    Subgraph {
        name: "Registry".into(),
        abi_name: "Registry".into(),
        abi: ABI.into(),
        address,
        mapping_extra: handlers.into(),
        ..Subgraph::default()
    }
    .load_in(dir)
}

#[test]
fn call_handlers_resolve_their_abi_function() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = load(
        dir.path(),
        true,
        "      callHandlers:
        - function: register(uint256,string)
          handler: handleRegister
        - function: register(uint256)
          handler: handlePaidRegister
      blockHandlers:
        - handler: handleCallBlock
          filter:
            kind: call
",
    )
    .unwrap();
    let mapping = &manifest.data_sources[0].mapping;
    let [two, one] = mapping.call_handlers.as_slice() else {
        panic!("two call handlers")
    };
    assert_eq!(two.handler, "handleRegister");
    assert_eq!(
        two.selector,
        keccak256("register(uint256,string)")[..4]
            .to_vec()
            .as_slice()
    );
    assert_eq!(two.abi_function.inputs.len(), 2);
    assert_eq!(two.abi_function.outputs[0].name, "count");
    // Overloads are told apart by their parameter types.
    assert_eq!(one.abi_function.inputs.len(), 1);
    assert_eq!(mapping.block_handlers[0].filter, BlockHandlerFilter::Call);
}

#[test]
fn unresolvable_call_handlers_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    for (function, expected) in [
        // Not in the ABI at all.
        (
            "unregister(uint256)",
            "ABI functions named `unregister`: none",
        ),
        // Wrong parameter types.
        (
            "register(uint8,string)",
            "register(uint256,string) (nonpayable); register(uint256) (payable)",
        ),
        // Spaces are not normalised away, as in graph-node (the selector would be wrong).
        (
            "register(uint256, string)",
            "is not a payable or nonpayable function",
        ),
        // A view function is never a call handler's function.
        ("total()", "total() (view)"),
    ] {
        let err = load(
            dir.path(),
            true,
            &format!(
                "      callHandlers:
        - function: \"{function}\"
          handler: h
"
            ),
        )
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains(&dir.path().join("subgraph.yaml").display().to_string())
                && message.contains("dataSources[0] (`Registry`)")
                && message.contains(&format!("callHandlers: `{function}`"))
                && message.contains("of ABI `Registry`")
                && message.contains(expected),
            "{function}: {message}"
        );
    }
}

#[test]
fn call_handlers_and_call_filters_need_an_address() {
    let dir = tempfile::tempdir().unwrap();
    for handlers in [
        "      callHandlers:
        - function: register(uint256,string)
          handler: h
",
        "      blockHandlers:
        - handler: h
          filter:
            kind: call
",
    ] {
        let err = load(dir.path(), false, handlers).unwrap_err();
        assert!(
            format!("{err:#}").contains("without source.address may only have event handlers"),
            "{err:#}"
        );
    }
    let err = load(
        dir.path(),
        true,
        "      blockHandlers:
        - handler: a
          filter:
            kind: call
        - handler: b
          filter:
            kind: call
",
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("at most one block handler of each filter kind"),
        "{err:#}"
    );
}
