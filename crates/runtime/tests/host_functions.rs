//! Host functions called from real graph-ts code, with exact results.

mod common;

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::{Address, B256, I256, U256};
use common::*;
use sprig_value::{BigDecimal, BigInt, Entity, Value};

fn big_ints(entity: &Entity, field: &str) -> Vec<String> {
    list(entity, field).iter().map(|v| v.to_string()).collect()
}

fn bools(entity: &Entity, field: &str) -> Vec<bool> {
    list(entity, field)
        .into_iter()
        .map(|v| match v {
            Value::Bool(b) => b,
            other => panic!("{other:?} is not a bool"),
        })
        .collect()
}

fn bytes(entity: &Entity, field: &str) -> Vec<Vec<u8>> {
    list(entity, field)
        .into_iter()
        .map(|v| match v {
            Value::Bytes(b) => b,
            other => panic!("{other:?} is not bytes"),
        })
        .collect()
}

#[tokio::test]
async fn big_int_arithmetic_and_formatting() {
    let mut result = Run::new("bigIntOps").ok().await;
    let o = entity(&mut result, "Output", "bigInt");
    assert_eq!(
        big_ints(&o, "bigInts"),
        [
            "123456789012345678901234567883",
            "123456789012345678901234567897",
            "-864197523086419752308641975230",
            "-17636684144620811271604938270",
            "0",
            "-16807",
            "-5",
            "210",
            "31604937987160493798716049379840",
            "-4",
            "0",
            "18446744073709551615",
        ]
    );
    assert_eq!(
        strings(&o, "strings"),
        [
            "123456789012345678901234567890",
            "-7",
            "0x18ee90ff6c373e0ee4e3f0ad2",
            "0x7",
            "0x0",
            "30145144166666665000000000000000000",
        ]
    );
    assert_eq!(
        big_ints(&o, "bigDecimals"),
        ["41152263004115226300411522630"]
    );
}

#[tokio::test]
async fn big_decimal_arithmetic_and_formatting() {
    let mut result = Run::new("bigDecimalOps").ok().await;
    let o = entity(&mut result, "Output", "bigDecimal");
    assert_eq!(
        big_ints(&o, "bigDecimals"),
        [
            "1.25",
            "1.75",
            "-0.375",
            "-6",
            "0.3333333333333333333333333333333333",
            "1000",
            "123456789012345678901234567890123500000",
        ]
    );
    assert_eq!(
        strings(&o, "strings"),
        [
            "1.5",
            "0.3333333333333333333333333333333333",
            "0.00001",
            "100",
            "0"
        ]
    );
    assert_eq!(bools(&o, "bools"), [true, false]);
}

#[tokio::test]
async fn division_by_zero_is_deterministic() {
    let (error, deterministic, _) = Run::new("divideByZero").fails().await;
    assert!(deterministic);
    assert!(
        error.contains("attempted to divide BigInt `1` by zero"),
        "{error}"
    );
}

#[tokio::test]
async fn conversions_hex_base58_and_keccak() {
    let mut result = Run::new("conversions").ok().await;
    let o = entity(&mut result, "Output", "conversions");
    assert_eq!(
        strings(&o, "strings"),
        [
            "QmWmyoMoctfbAaiEs2G46gpeUmhqFRDW6KWo64y5r581Vz",
            "0x12207d5a99f603f231d53a4f39d1521f98d2e8bb279cf29bebfd0687dc98458e7f89",
            "hello",
            "0x0123123123012312312301231231230123123123",
            // graph-ts's `Bytes.empty()` is four zero bytes.
            "0x00000000",
            "115Q",
        ]
    );
    let keccak_eth =
        sprig_value::from_hex("0x4f5b812789fc606be1b3b16908db13fc7a9adf7ca72641f84d75b47069d3d7f0")
            .unwrap();
    assert_eq!(
        bytes(&o, "bytes"),
        [keccak_eth, DATA_SOURCE_ADDRESS.to_vec(), vec![3, 4]]
    );
}

#[tokio::test]
async fn strings_are_utf16_with_surrogate_pairs_and_lose_nuls() {
    let mut result = Run::new("strings").ok().await;
    let o = entity(&mut result, "Output", "strings");
    assert_eq!(strings(&o, "strings"), ["漢字Go🇧🇷", "ab", "漢字Go🇧🇷", ""]);
    // Eight UTF-16 code units: the flag is two surrogate pairs.
    assert_eq!(list(&o, "ints"), [Value::Int(8)]);
}

#[tokio::test]
async fn lone_surrogate_is_rejected() {
    let (error, deterministic, _) = Run::new("loneSurrogate").fails().await;
    assert!(deterministic);
    assert!(error.contains("not valid UTF-16"), "{error}");
}

#[tokio::test]
async fn bad_address_string_is_rejected() {
    let (error, deterministic, _) = Run::new("badAddress").fails().await;
    assert!(deterministic);
    assert!(
        error.contains("Failed to convert string to Address: '0x12'"),
        "{error}"
    );
}

#[tokio::test]
async fn json_parsing_and_number_conversions() {
    let mut result = Run::new("jsonOps").ok().await;
    let o = entity(&mut result, "Output", "json");
    assert_eq!(o["int8"], Value::Int8(i64::MIN));
    assert_eq!(
        big_ints(&o, "bigInts"),
        [
            "-922337203685477092345034",
            "12345678901234567890123",
            "18446744073709551615",
            "1",
            "3"
        ]
    );
    // Object keys come sorted: "a" first although the document starts with "b".
    assert_eq!(strings(&o, "strings"), ["x", "a", "-1.5"]);
    assert_eq!(bools(&o, "bools"), [true, true, true, true]);
}

#[tokio::test]
async fn ethereum_call_encodes_calls_and_decodes_tuples_and_reverts() {
    let mut result = Run::new("ethCalls").chain(chain_with_answers()).ok().await;
    let o = entity(&mut result, "Output", "ethCalls");
    assert_eq!(strings(&o, "strings"), ["Test Token"]);
    assert_eq!(big_ints(&o, "bigInts"), ["7", "-9", "1000"]);
    // pair's bool, balanceOf(1) did not revert, balanceOf(0) reverted.
    assert_eq!(bools(&o, "bools"), [true, false, true]);
}

#[tokio::test]
async fn ethereum_call_to_unknown_function_is_deterministic() {
    let (error, deterministic, _) = Run::new("unknownFunction").fails().await;
    assert!(deterministic);
    assert!(
        error.contains(
            // graph-node's words when no function has the name (a name with no overload of the
            // signature adds "with signature `...`").
            "Unknown function \"Test::nope\" called from WASM runtime"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn rpc_failure_is_non_deterministic() {
    let chain = FakeChain {
        broken: true,
        ..FakeChain::default()
    };
    let (error, deterministic, _) = Run::new("callName").chain(chain).fails().await;
    assert!(!deterministic);
    assert!(error.contains("node unavailable"), "{error}");
    assert!(error.contains("Test::name():(string)"), "{error}");
}

#[tokio::test]
async fn ethereum_encode_decode_round_trip() {
    let mut result = Run::new("encodeDecode").ok().await;
    let o = entity(&mut result, "Output", "encodeDecode");
    let min_int = I256::MIN;
    let mut fixed = B256::ZERO;
    fixed[..4].copy_from_slice(&[1, 2, 3, 4]);
    let tuple = DynSolValue::Tuple(vec![
        DynSolValue::Address(Address::from(DATA_SOURCE_ADDRESS)),
        DynSolValue::Uint(U256::from(10u64).pow(U256::from(18u64)), 256),
        DynSolValue::Int(I256::MINUS_ONE, 256),
        DynSolValue::Bytes(vec![0xde, 0xad, 0xbe, 0xef]),
        DynSolValue::String("漢字".into()),
        DynSolValue::Bool(true),
        DynSolValue::FixedBytes(fixed, 4),
        DynSolValue::Array(vec![
            DynSolValue::Uint(U256::from(1), 256),
            DynSolValue::Uint(U256::from(255), 256),
        ]),
    ]);
    assert_eq!(
        bytes(&o, "bytes"),
        [
            tuple.abi_encode(),
            DATA_SOURCE_ADDRESS.to_vec(),
            vec![0xde, 0xad, 0xbe, 0xef],
            vec![1, 2, 3, 4],
            DynSolValue::Int(min_int, 256).abi_encode(),
        ]
    );
    assert_eq!(
        big_ints(&o, "bigInts"),
        [
            "1000000000000000000".to_string(),
            "-1".to_string(),
            "1".to_string(),
            "255".to_string(),
            BigInt::from_signed_bytes_be(&min_int.to_be_bytes::<32>()).to_string(),
        ]
    );
    assert_eq!(strings(&o, "strings"), ["漢字"]);
    // The second bool: an unparsable type decodes to null.
    assert_eq!(bools(&o, "bools"), [true, true]);
    // Kinds: tuple length, FIXED_BYTES, ARRAY, INT, UINT, TUPLE.
    assert_eq!(
        list(&o, "ints"),
        [8, 1, 8, 3, 4, 9].map(Value::Int).to_vec()
    );
}

#[tokio::test]
async fn data_source_properties_and_templates() {
    let context: Entity = [("greeting".to_string(), Value::String("hello".into()))].into();
    let mut result = Run::new("dataSourceOps").context(context).ok().await;
    let o = entity(&mut result, "Output", "dataSource");
    assert_eq!(bytes(&o, "bytes"), [DATA_SOURCE_ADDRESS.to_vec()]);
    assert_eq!(strings(&o, "strings"), ["mainnet", "hello"]);
    let created = &result.state.created_data_sources;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].template, "TestTemplate");
    assert_eq!(
        created[0].params,
        ["0xc0a47dFe034B400B47bDaD5FecDa2621de6c4d95"]
    );
    assert_eq!(created[0].context, None);
    assert_eq!(created[0].creation_block, 12);
    let expected: Entity = [
        ("k".to_string(), Value::String("v".into())),
        ("n".to_string(), Value::BigInt(BigInt::from(7))),
    ]
    .into();
    assert_eq!(created[1].context, Some(expected));
}

#[tokio::test]
async fn unknown_template_is_deterministic() {
    let (error, deterministic, result) = Run::new("unknownTemplate").fails().await;
    assert!(deterministic);
    assert!(
        error.contains(
            "Failed to create data source from name `nonexistent template`: No template with this \
             name in parent data source `Test`. Available names: TestTemplate."
        ),
        "{error}"
    );
    assert!(result.state.created_data_sources.is_empty());
}

#[tokio::test]
async fn nan_has_canonical_bits() {
    let mut result = Run::new("nanBits").ok().await;
    let o = entity(&mut result, "Output", "nan");
    assert_eq!(o["int8"], Value::Int8(9221120237041090560));
    assert_eq!(big_ints(&o, "bigInts"), ["9221120237041090560"]);
    assert_eq!(
        BigDecimal::from(BigInt::from(9221120237041090560u64)).to_string(),
        "9221120237041090560"
    );
}

/// The `accounts` context `ethState` reads.
fn accounts(addresses: &[Address]) -> Entity {
    let list = addresses.iter().map(|a| Value::Bytes(a.to_vec())).collect();
    [("accounts".to_string(), Value::List(list))].into()
}

/// Creation code of a contract whose code is the single byte `0x00` (STOP):
/// `mstore8(0, 0); return(0, 1)`.
const ONE_BYTE_CONTRACT: [u8; 10] = [0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3];

#[tokio::test]
async fn balances_and_code_come_from_the_node_at_the_trigger_block() {
    use sprig_chain::testing::{Anvil, TxRequest};

    let anvil = Anvil::spawn().unwrap();
    let client = anvil.client();
    let funder = anvil.accounts().await.unwrap()[0];
    let payee = Address::repeat_byte(0x5a);
    let ether = U256::from(10u64).pow(U256::from(18u64));
    let paid = anvil
        .send_transaction(TxRequest::call(payee, vec![]).value(ether))
        .await
        .unwrap();
    anvil
        .send_transaction(TxRequest::call(payee, vec![]).value(U256::from(3)))
        .await
        .unwrap();
    let deployed = anvil
        .send_transaction(TxRequest::create(ONE_BYTE_CONTRACT.to_vec()))
        .await
        .unwrap();
    let contract = deployed.contract_address.unwrap();

    let run_at = |number: u64| {
        let client = client.clone();
        async move {
            let block = client.block_by_number(number).await.unwrap();
            let mut result = Run::new("ethState")
                .trigger(sprig_runtime::MappingTrigger::Block {
                    block: std::sync::Arc::new(block),
                })
                .chain(RpcChain(client))
                .context(accounts(&[payee, contract, funder]))
                .ok()
                .await;
            entity(&mut result, "Output", "ethState")
        }
    };
    // The funder's balance as the node reports it at a block number (not through Sprig).
    let funder_at = |number: u64| {
        let anvil = &anvil;
        async move {
            let balance: U256 = anvil
                .request(
                    "eth_getBalance",
                    serde_json::json!([funder, format!("0x{number:x}")]),
                )
                .await
                .unwrap();
            balance.to_string()
        }
    };

    let before = run_at(paid.block_number).await;
    assert_eq!(
        big_ints(&before, "bigInts"),
        [
            ether.to_string(),
            "0".into(),
            funder_at(paid.block_number).await
        ]
    );
    assert_eq!(bools(&before, "bools"), [false, false, false]);

    let after = run_at(deployed.block_number).await;
    assert_eq!(
        big_ints(&after, "bigInts"),
        [
            (ether + U256::from(3)).to_string(),
            "0".into(),
            funder_at(deployed.block_number).await
        ]
    );
    // The contract has code from its deployment on; accounts that only hold ether have none.
    assert_eq!(bools(&after, "bools"), [false, true, false]);

    // A block the node does not know (reorganised away): retried, never answered as zero.
    let mut unknown = client.block_by_number(paid.block_number).await.unwrap();
    unknown.hash = B256::repeat_byte(0x99);
    let (error, deterministic, _) = Run::new("ethState")
        .trigger(sprig_runtime::MappingTrigger::Block {
            block: std::sync::Arc::new(unknown),
        })
        .chain(RpcChain(client.clone()))
        .context(accounts(&[payee]))
        .fails()
        .await;
    assert!(!deterministic, "{error}");
    assert!(
        error.contains(&format!(
            "ethereum.getBalance of {payee} at block #{}",
            paid.block_number
        )),
        "{error}"
    );
}

#[tokio::test]
async fn balances_are_unsigned_and_code_is_any_byte() {
    let rich = Address::repeat_byte(1);
    let contract = Address::repeat_byte(2);
    let chain = FakeChain {
        balances: [(rich, U256::MAX), (contract, U256::from(255))].into(),
        codes: [(contract, alloy::primitives::Bytes::from(vec![0u8]))].into(),
        ..FakeChain::default()
    };
    let mut result = Run::new("ethState")
        .chain(chain)
        .context(accounts(&[rich, contract, Address::ZERO]))
        .ok()
        .await;
    let o = entity(&mut result, "Output", "ethState");
    assert_eq!(
        big_ints(&o, "bigInts"),
        [U256::MAX.to_string(), "255".into(), "0".into()]
    );
    assert_eq!(bools(&o, "bools"), [false, true, false]);
    // Six requests, each priced like an ethereum.call.
    assert!(result.gas_used > 6 * 5_000_000, "{}", result.gas_used);
}

#[tokio::test]
async fn chain_state_needs_api_version_0_0_9() {
    let module = sprig_runtime::MappingRuntime::new(config())
        .unwrap()
        .load("Test", &test_wasm(), sprig_runtime::ApiVersion::V0_0_8)
        .unwrap();
    for (handler, message) in [
        (
            "ethState",
            "ethereum.getBalance call is not supported before API version 0.0.9",
        ),
        (
            "ethHasCode",
            "ethereum.hasCode call is not supported before API version 0.0.9",
        ),
    ] {
        let result = Run::new(handler)
            .context(accounts(&[Address::ZERO]))
            .on(&module)
            .await;
        let error = result.outcome.unwrap_err();
        assert!(error.is_deterministic(), "{error}");
        assert!(error.to_string().contains(message), "{error}");
    }
}

#[tokio::test]
async fn chain_state_rpc_failures_are_non_deterministic() {
    let broken = || FakeChain {
        broken: true,
        ..FakeChain::default()
    };
    let (error, deterministic, _) = Run::new("ethState")
        .chain(broken())
        .context(accounts(&[Address::ZERO]))
        .fails()
        .await;
    assert!(!deterministic);
    assert!(error.contains("node unavailable"), "{error}");
    assert!(
        error.contains(&format!(
            "ethereum.getBalance of {} at block #12",
            Address::ZERO
        )),
        "{error}"
    );
    let (error, deterministic, _) = Run::new("ethHasCode").chain(broken()).fails().await;
    assert!(!deterministic);
    assert!(
        error.contains("ethereum.hasCode of 0x0123123123012312312301231231230123123123"),
        "{error}"
    );
}

#[tokio::test]
async fn ens_names_are_unknown() {
    let mut result = Run::new("ensName").ok().await;
    let o = entity(&mut result, "Output", "ens");
    assert_eq!(bools(&o, "bools"), [true]);
}

#[tokio::test]
async fn yaml_values_are_graph_nodes() {
    let mut result = Run::new("yamlOps").ok().await;
    let o = entity(&mut result, "Output", "yaml");
    assert_eq!(
        strings(&o, "strings"),
        [
            "(0) null",
            "(0) null",
            "(0) null",
            "(1) true",
            "(1) false",
            "(2) 12345",
            "(2) -12345",
            "(2) 12345.6789",
            "(2) 1000.0",
            "(2) 31",
            // serde_yaml hands integers beyond 64 bits that fit 128 bits to a visitor that
            // has no 128-bit case: graph-node fails on them too. Larger ones are floats.
            "error",
            "(2) 3.402823669209385e38",
            "(2) .nan",
            "(2) -.inf",
            "(3) aa bb cc",
            "(3) aa bb cc",
            "(3) a☺",
            "(4) [(2) 1, (2) 2, (2) 3, (2) 4]",
            "(4) [(2) 1, (2) 2, (2) 3, (2) 4]",
            "(5) {(3) c: (2) 1, (3) a: (2) 2, (3) b: (2) 3}",
            "(5) {(3) c: (2) 1, (3) a: (2) 2, (3) b: (2) 3}",
            "(6) !AA (3) bb cc",
            "(3) 12",
            "(5) {(4) [(2) 1, (2) 2]: (3) seq key, (2) 1: (3) int, (1) true: (3) bool, (0) null: (0) null}",
            "(5) {(3) base: (5) {(3) x: (2) 1}, (3) copy: (5) {(3) x: (2) 1}}",
            "(5) {(3) top: (6) !Ref (5) {(3) list: (4) [(3) a, (6) !Sub (5) {(3) k: (3) v}], (3) text: (3) two\nlines\n}}",
            "error",
            "error",
            "error",
            "0x01",
        ]
    );
}

#[tokio::test]
async fn invalid_yaml_fails_deterministically() {
    let (error, deterministic, _) = Run::new("yamlInvalid").fails().await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("failed to parse YAML from bytes: did not find expected ',' or '}'"),
        "{error}"
    );
}

#[tokio::test]
async fn oversized_yaml_is_refused() {
    let mut result = Run::new("yamlTooLarge").ok().await;
    let o = entity(&mut result, "Output", "yamlTooLarge");
    assert_eq!(bools(&o, "bools"), [true]);
    let (error, deterministic, _) = Run::new("yamlTooLargeFails").fails().await;
    assert!(deterministic, "{error}");
    assert!(
        error.contains("YAML size exceeds max size of 10000000 bytes"),
        "{error}"
    );
}
