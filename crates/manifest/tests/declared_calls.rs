//! Declared calls (`calls:` on event handlers): parsed and resolved against the ABIs at load,
//! refused with errors naming the file, data source, handler and expression; evaluated against a
//! decoded log into the calldata a mapping's own `ethereum.call` would send.

use std::path::Path;

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::primitives::{address, Address, U256};
use sprig_manifest::{CallArg, Manifest};
use support::Subgraph;

mod support;

const ABI: &str = r#"[
  {"type":"event","name":"Moved","anonymous":false,"inputs":[
    {"name":"token","type":"address","indexed":true},
    {"name":"memo","type":"string","indexed":true},
    {"name":"amount","type":"uint256","indexed":false},
    {"name":"asset","type":"tuple","indexed":false,"components":[
      {"name":"addr","type":"address"},
      {"name":"inner","type":"tuple","components":[
        {"name":"owner","type":"address"},{"name":"weight","type":"uint64"}]}]}]},
  {"type":"function","name":"balanceOf","stateMutability":"view",
   "inputs":[{"name":"who","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
  {"type":"function","name":"quote","stateMutability":"view",
   "inputs":[{"name":"a","type":"uint256"},{"name":"b","type":"address"}],
   "outputs":[{"name":"","type":"uint256"}]},
  {"type":"function","name":"byHash","stateMutability":"view",
   "inputs":[{"name":"h","type":"bytes32"}],"outputs":[{"name":"","type":"uint256"}]},
  {"type":"function","name":"total","stateMutability":"view","inputs":[],
   "outputs":[{"name":"","type":"uint256"}]}
]"#;

const EVENT: &str = "Moved(indexed address,indexed string,uint256,(address,(address,uint64)))";

/// Writes a subgraph whose one event handler declares `calls` (YAML lines under `calls:`) and
/// loads it.
fn load(dir: &Path, spec: &str, calls: &[&str]) -> anyhow::Result<Manifest> {
    let calls: String = calls
        .iter()
        .map(|c| {
            let (label, expr) = c.split_once(": ").unwrap();
            format!("            {label}: \"{expr}\"\n")
        })
        .collect();
    Subgraph {
        spec_version: spec.into(),
        name: "Tokens".into(),
        abi: ABI.into(),
        mapping_extra: format!(
            "      eventHandlers:\n        - event: {EVENT}\n          handler: handleMoved\n          calls:\n{calls}"
        ),
        ..Subgraph::default()
    }
    .load_in(dir)
}

/// The load error's whole chain, for matching.
fn error(spec: &str, calls: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let e = load(dir.path(), spec, calls).expect_err("the manifest is refused");
    format!("{e:#}")
}

const LITERAL: Address = address!("00000000000000000000000000000000000000aa");

#[test]
fn every_expression_form_resolves_and_encodes_like_ethereum_call() {
    let dir = tempfile::tempdir().unwrap();
    let m = load(
        dir.path(),
        "1.4.0",
        &[
            "own: Token[event.address].balanceOf(event.params.token)",
            "quote: Token[event.params.token].quote(event.params.amount, 0x00000000000000000000000000000000000000aA)",
            "byField: Token[event.params.asset.addr].balanceOf(event.params.asset.inner.owner)",
            "byIndex: Token[event.params.asset.1.0].total()",
            "hashed: Token[0x00000000000000000000000000000000000000aa].byHash(event.params.memo)",
        ],
    )
    .unwrap();
    let calls = &m.data_sources[0].mapping.event_handlers[0].calls;
    // In label order.
    let labels: Vec<&str> = calls.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["byField", "byIndex", "hashed", "own", "quote"]);
    let by_label = |l: &str| calls.iter().find(|c| c.label == l).unwrap();
    assert_eq!(by_label("own").address, CallArg::EventAddress);
    assert_eq!(
        by_label("own").args,
        [CallArg::Param {
            param: 0,
            fields: vec![]
        }]
    );
    assert_eq!(
        by_label("byField").args,
        [CallArg::Param {
            param: 3,
            fields: vec![1, 0]
        }]
    );
    assert_eq!(
        by_label("byIndex").address,
        CallArg::Param {
            param: 3,
            fields: vec![1, 0]
        }
    );
    assert_eq!(by_label("quote").args[1], CallArg::Literal(LITERAL));
    assert!(by_label("byField").uses_struct_fields());
    assert!(!by_label("own").uses_struct_fields());

    // A decoded log: token, hash of memo, amount, asset.
    let emitter = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
    let token = address!("1111111111111111111111111111111111111111");
    let owner = address!("2222222222222222222222222222222222222222");
    let asset_addr = address!("3333333333333333333333333333333333333333");
    let memo_hash = [7u8; 32];
    let params: Vec<(String, DynSolValue)> = [
        DynSolValue::Address(token),
        DynSolValue::FixedBytes(memo_hash.into(), 32),
        DynSolValue::Uint(U256::from(42), 256),
        DynSolValue::Tuple(vec![
            DynSolValue::Address(asset_addr),
            DynSolValue::Tuple(vec![
                DynSolValue::Address(owner),
                DynSolValue::Uint(U256::from(9), 64),
            ]),
        ]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, v)| (format!("p{i}"), v))
    .collect();
    let function = |name: &str| {
        m.data_sources[0].mapping.abis[0]
            .contract
            .function(name)
            .unwrap()[0]
            .clone()
    };
    let expect = |name: &str, args: &[DynSolValue]| function(name).abi_encode_input(args).unwrap();

    let (to, data) = by_label("own").eth_call(emitter, &params).unwrap();
    assert_eq!(to, emitter);
    assert_eq!(
        data.to_vec(),
        expect("balanceOf", &[DynSolValue::Address(token)])
    );

    let (to, data) = by_label("quote").eth_call(emitter, &params).unwrap();
    assert_eq!(to, token);
    assert_eq!(
        data.to_vec(),
        expect(
            "quote",
            &[
                DynSolValue::Uint(U256::from(42), 256),
                DynSolValue::Address(LITERAL)
            ]
        )
    );

    let (to, data) = by_label("byField").eth_call(emitter, &params).unwrap();
    assert_eq!(to, asset_addr);
    assert_eq!(
        data.to_vec(),
        expect("balanceOf", &[DynSolValue::Address(owner)])
    );

    let (to, data) = by_label("byIndex").eth_call(emitter, &params).unwrap();
    assert_eq!(to, owner);
    assert_eq!(data.to_vec(), expect("total", &[]));

    // An indexed string is its hash in the log: a bytes32 argument.
    let (to, data) = by_label("hashed").eth_call(emitter, &params).unwrap();
    assert_eq!(to, LITERAL);
    assert_eq!(
        data.to_vec(),
        expect("byHash", &[DynSolValue::FixedBytes(memo_hash.into(), 32)])
    );
}

#[test]
fn declared_calls_need_spec_version_1_2_0() {
    let e = error(
        "1.1.0",
        &["own: Token[event.address].balanceOf(event.params.token)"],
    );
    assert!(e.contains("subgraph.yaml"), "{e}");
    assert!(e.contains("`Tokens`, handler `handleMoved`"), "{e}");
    assert!(
        e.contains("declared calls (`calls:`, here `own: Token[event.address].balanceOf(event.params.token)`) need specVersion 1.2.0 or later, but the manifest has 1.1.0"),
        "{e}"
    );
    // 1.2.0 is enough for plain parameters.
    let dir = tempfile::tempdir().unwrap();
    load(
        dir.path(),
        "1.2.0",
        &["own: Token[event.address].balanceOf(event.params.token)"],
    )
    .unwrap();
}

#[test]
fn struct_fields_need_spec_version_1_4_0() {
    let e = error("1.3.0", &["f: Token[event.params.asset.addr].total()"]);
    assert!(e.contains("`Tokens`, handler `handleMoved`"), "{e}");
    assert!(
        e.contains("declared call `f: Token[event.params.asset.addr].total()` reads a struct field, which needs specVersion 1.4.0 or later, but the manifest has 1.3.0"),
        "{e}"
    );
}

#[test]
fn bad_expressions_are_refused_naming_file_data_source_handler_and_expression() {
    let cases: &[(&str, &str)] = &[
        ("x: Token.total()", "expected `Abi[address].function(args)`: missing `[`"),
        ("x: [event.address].total()", "missing the ABI name before `[`"),
        ("x: Token[event.address.total()", "missing `]` after the address"),
        ("x: Token[event.address]total()", "missing `.function(...)`"),
        ("x: Token[event.address].total", "missing `(` after the function name"),
        ("x: Token[event.address].()", "missing the function name"),
        ("x: Token[event.address].total(", "missing `)` at the end"),
        ("x: Nope[event.address].total()", "ABI `Nope` is not among mapping.abis (Token)"),
        ("x: Token[event.address].nope()", "ABI `Token` has no function `nope`"),
        (
            "x: Token[event.params.nope].total()",
            "address `event.params.nope`: the event `Moved(address,string,uint256,(address,(address,uint64)))` has no parameter `nope` (parameters: token, memo, amount, asset)",
        ),
        (
            "x: Token[event.params.amount].total()",
            "address `event.params.amount` is a `uint256`, not an `address`",
        ),
        (
            "x: Token[event.transaction.from].total()",
            "address `event.transaction.from`: expected `event.address`, `event.params.<name>` or a 0x-prefixed 20-byte address",
        ),
        (
            "x: Token[0x00000000000000000000000000000000000000zz].total()",
            "address `0x00000000000000000000000000000000000000zz`: not an address",
        ),
        (
            "x: Token[event.address].balanceOf()",
            "`balanceOf(address)` takes 1 argument(s), but 0 are given",
        ),
        (
            "x: Token[event.address].total(event.address)",
            "`total()` takes 0 argument(s), but 1 are given",
        ),
        (
            "x: Token[event.address].balanceOf(event.params.amount)",
            "argument 1 `event.params.amount` is a `uint256`, but `balanceOf(address)` expects a `address` there",
        ),
        (
            "x: Token[event.address].balanceOf(event.params.memo)",
            "argument 1 `event.params.memo` is a `bytes32`",
        ),
        (
            "x: Token[event.params.asset.nope].total()",
            "the struct has no field `nope`",
        ),
        (
            "x: Token[event.params.asset.2].total()",
            "field index 2 is out of range (the struct has 2 fields)",
        ),
        (
            "x: Token[event.params.asset.addr.more].total()",
            "`more`: the value before it is not a struct",
        ),
        (
            "x: Token[event.params.memo.0].total()",
            "`memo` is indexed: the log holds only its hash",
        ),
    ];
    for (call, message) in cases {
        let e = error("1.4.0", &[call]);
        let expr = call.split_once(": ").unwrap().1;
        assert!(e.contains("subgraph.yaml"), "{call}: {e}");
        assert!(e.contains("dataSources[0] (`Tokens`)"), "{call}: {e}");
        assert!(e.contains("(handler `handleMoved`)"), "{call}: {e}");
        assert!(
            e.contains(&format!("declared call `x`: `{expr}`")),
            "{call}: {e}"
        );
        assert!(e.contains(message), "{call}: expected `{message}` in: {e}");
    }
}
