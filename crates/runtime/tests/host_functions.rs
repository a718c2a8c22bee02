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
            "Unknown function \"Test::nope\" with signature `nope():(uint256)` called from WASM runtime"
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
