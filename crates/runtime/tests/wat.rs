//! Hand-written modules for what graph-cli never emits: malformed objects, bad pointers, cycles,
//! wrong signatures, modules the runtime must refuse; and a bounded fuzz of the object decoder.

mod common;

use common::*;
use sprig_runtime::{ApiVersion, MappingModule, MappingRuntime};

/// A minimal graph-cli-like mapping: a bump allocator, `id_of_type` returning its argument,
/// an empty `_start`, plus `imports`, `body` (functions) and `data` (segments).
fn mapping(imports: &str, body: &str, data: &str) -> String {
    format!(
        r#"(module
  {imports}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (func (export "allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 15)) (i32.const -16)))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "id_of_type") (param i32) (result i32) (local.get 0))
  (func (export "_start"))
  {body}
  {data}
)"#
    )
}

fn load_wat(wat: &str) -> anyhow::Result<MappingModule> {
    let runtime = MappingRuntime::new(config())?;
    runtime.load("wat", wat.as_bytes(), ApiVersion::V0_0_9)
}

/// Runs `handler` of a module and returns its error text (panics on success).
async fn failure(module: &MappingModule, handler: &'static str) -> (String, bool) {
    let result = Run::new(handler).on(module).await;
    match result.outcome {
        Ok(_) => panic!("{handler} succeeded"),
        Err(e) => (e.to_string(), e.is_deterministic()),
    }
}

/// A little-endian u32 as a wat data string.
fn le(word: u32) -> String {
    word.to_le_bytes()
        .iter()
        .map(|b| format!("\\{b:02x}"))
        .collect()
}

const IMPORTS: &str = r#"
  (import "index" "log.log" (func $log (param i32 i32)))
  (import "conversion" "typeConversion.bytesToHex" (func $hex (param i32) (result i32)))
  (import "ethereum" "ethereum.encode" (func $encode (param i32) (result i32)))
"#;

#[tokio::test]
async fn malformed_objects_are_deterministic_errors() {
    let body = r#"
  (func (export "hugeString") (param i32) (call $log (i32.const 3) (i32.const 100)))
  (func (export "viewOutsideBuffer") (param i32) (drop (call $hex (i32.const 200))))
  (func (export "pointerBelowHeader") (param i32) (drop (call $hex (i32.const 2))))
  (func (export "pointerPastMemory") (param i32) (drop (call $hex (i32.const 200000))))
  (func (export "badKind") (param i32) (drop (call $encode (i32.const 400))))
  (func (export "cycle") (param i32) (drop (call $encode (i32.const 500))))
"#;
    let data = [
        // A string claiming 2 GiB.
        (96, le(0x7fff_ffff)),
        // A Uint8Array viewing 1000 bytes of a 4-byte buffer.
        (196, le(12) + &le(300) + &le(300) + &le(1000)),
        (296, le(4)),
        // An ethereum.Value of kind 70.
        (396, le(16) + &le(70)),
        // An ethereum.Value array containing itself.
        (496, le(16) + &le(8) + &le(0) + &le(600)),
        (596, le(16) + &le(700) + &le(700) + &le(4) + &le(1)),
        (696, le(4) + &le(500)),
    ]
    .iter()
    .map(|(offset, bytes)| format!(r#"(data (i32.const {offset}) "{bytes}")"#))
    .collect::<Vec<_>>()
    .join("\n");
    let module = load_wat(&mapping(IMPORTS, body, &data)).unwrap();
    for (handler, expected) in [
        ("hugeString", "object size limit exceeded"),
        (
            "viewOutsideBuffer",
            "views 1000 bytes at offset 0 of a buffer of 4 bytes",
        ),
        ("pointerBelowHeader", "Subtract overflow on pointer: 2"),
        (
            "pointerPastMemory",
            "Heap access out of bounds. Offset: 199996 Size: 4",
        ),
        ("badKind", "value 70 is out of range for EthereumValueKind"),
        ("cycle", "recursion limit reached"),
    ] {
        let (error, deterministic) = failure(&module, handler).await;
        assert!(deterministic, "{handler}: {error}");
        assert!(error.contains(expected), "{handler}: {error}");
    }
}

#[tokio::test]
async fn handlers_must_exist_and_take_one_pointer() {
    let body = r#"
  (func (export "twoArgs") (param i32 i32))
  (func (export "returns") (param i32) (result i32) (i32.const 0))
"#;
    let module = load_wat(&mapping("", body, "")).unwrap();
    let (error, deterministic) = failure(&module, "twoArgs").await;
    assert!(deterministic);
    assert!(
        error.contains("must have the signature `(i32) -> ()`"),
        "{error}"
    );
    let (error, _) = failure(&module, "returns").await;
    assert!(error.contains("must have the signature"), "{error}");
    let (error, _) = failure(&module, "nowhere").await;
    assert!(
        error.contains("the mapping has no handler export `nowhere`"),
        "{error}"
    );
}

#[tokio::test]
async fn fuel_is_exact() {
    let body = r#"
  (func (export "count") (param i32)
    (local $i i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "empty") (param i32))
"#;
    let module = load_wat(&mapping("", body, "")).unwrap();
    let count = Run::new("count").on(&module).await;
    let empty = Run::new("empty").on(&module).await;
    if let Err(e) = count.outcome.as_ref().and(empty.outcome.as_ref()) {
        panic!("{e}");
    }
    // Setup (`_start`, writing the block object) is the same for both runs; the difference
    // is the loop: 1000 × 8 operators (`local.get`, `i32.const`, `i32.add`, `local.set`,
    // `local.get`, `i32.const`, `i32.lt_u`, `br_if`; `loop` and `end` are free).
    assert_eq!(count.gas_used - empty.gas_used, 8_000);
    // `allocate` (a few operators) and the bytes of the block object copied in.
    assert_eq!(empty.gas_used, 1_262);
}

#[tokio::test]
async fn unknown_imports_are_listed_at_load() {
    let imports = r#"
  (import "env" "seed" (func (result f64)))
  (import "env" "trace" (func (param i32 i32)))
  (import "index" "store.get" (func (param i32 i32) (result i32)))
"#;
    let error = load_wat(&mapping(imports, "", "")).err().unwrap();
    let error = format!("{error:#}");
    assert!(
        error.contains("imports what the runtime does not provide: env.seed, env.trace"),
        "{error}"
    );
}

#[tokio::test]
async fn wrongly_typed_imports_are_refused_at_load() {
    let imports = r#"(import "index" "store.get" (func (param i32) (result i32)))"#;
    let error = format!("{:#}", load_wat(&mapping(imports, "", "")).err().unwrap());
    assert!(error.contains("cannot link mapping `wat`"), "{error}");
}

#[tokio::test]
async fn missing_exports_are_listed_at_load() {
    let error = format!("{:#}", load_wat("(module)").err().unwrap());
    assert!(
        error.contains(
            "`memory`: memory, `allocate`: func (i32) -> (i32), `id_of_type`: func (i32) -> (i32), \
             `_start`: func () -> ()"
        ),
        "{error}"
    );
    let mistyped = r#"(module
  (memory (export "memory") 1)
  (func (export "allocate") (param i64) (result i32) (i32.const 0))
  (func (export "id_of_type") (param i32) (result i32) (i32.const 0))
  (func (export "_start")))"#;
    let error = format!("{:#}", load_wat(mistyped).err().unwrap());
    assert!(
        error.ends_with("have: `allocate`: func (i32) -> (i32)"),
        "{error}"
    );
}

#[tokio::test]
async fn features_outside_the_pinned_set_are_refused() {
    for (feature, body) in [
        ("simd", "(func (result v128) (v128.const i64x2 0 0))"),
        (
            "bulk memory",
            "(func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))",
        ),
        (
            "non-trapping float-to-int",
            "(func (result i32) (i32.trunc_sat_f64_s (f64.const 0)))",
        ),
        (
            "multi-value",
            "(func (result i32 i32) (i32.const 0) (i32.const 0))",
        ),
    ] {
        let error = load_wat(&mapping("", body, "")).err();
        assert!(error.is_some(), "{feature} was accepted");
    }
    let shared = r#"(module (memory 1 1 shared))"#;
    assert!(load_wat(shared).is_err(), "threads were accepted");
}

#[tokio::test]
async fn old_api_versions_are_refused_with_a_clear_error() {
    let runtime = MappingRuntime::new(config()).unwrap();
    let error = runtime
        .load("old", &test_wasm(), "0.0.2".parse().unwrap())
        .err()
        .unwrap();
    assert!(
        format!("{error:#}").contains(
            "apiVersion 0.0.2 is not supported: this runtime runs apiVersion 0.0.3 to 0.0.9"
        ),
        "{error:#}"
    );
    // An AssemblyScript 0.19 module declared as apiVersion 0.0.4 lacks 0.6's allocator.
    let error = runtime
        .load("old", &test_wasm(), "0.0.4".parse().unwrap())
        .err()
        .unwrap();
    assert!(
        format!("{error:#}").contains(
            "the module lacks exports that AssemblyScript 0.6 mappings (apiVersion 0.0.4 and \
             older) have: `memory.allocate`: func (i32) -> (i32)"
        ),
        "{error:#}"
    );
}

/// xorshift64*: a fixed sequence, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random memory images where most words look like pointers into the image or small sizes, fed
/// to the host functions that decode objects. Every outcome must be a clean result or error;
/// a panic or an out-of-bounds access fails the test.
#[tokio::test]
async fn decoder_survives_random_memory() {
    const BASE: u64 = 1024;
    const LEN: u64 = 2048;
    let imports = r#"
  (import "index" "log.log" (func $log (param i32 i32)))
  (import "index" "store.set" (func $set (param i32 i32 i32)))
  (import "index" "crypto.keccak256" (func $keccak (param i32) (result i32)))
  (import "conversion" "typeConversion.bytesToHex" (func $hex (param i32) (result i32)))
  (import "conversion" "typeConversion.bigIntToString" (func $big (param i32) (result i32)))
  (import "numbers" "bigDecimal.toString" (func $dec (param i32) (result i32)))
  (import "ethereum" "ethereum.encode" (func $encode (param i32) (result i32)))
  (import "ethereum" "ethereum.call" (func $call (param i32) (result i32)))
  (import "datasource" "dataSource.create" (func $create (param i32 i32)))
  (import "json" "json.fromBytes" (func $json (param i32) (result i32)))
"#;
    // Fixed strings "Output" and "x" for store.set, so the entity map decoder is reached.
    let output: String = "Output"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("\\{b:02x}"))
        .collect();
    let fixed = format!(
        r#"(data (i32.const 60) "{}{output}") (data (i32.const 92) "{}\78\00")"#,
        le(12),
        le(2)
    );
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut outcomes = [0usize; 2];
    for _case in 0..12 {
        let mut image = Vec::with_capacity(LEN as usize);
        for _ in 0..LEN / 4 {
            let word = match rng.below(4) {
                0 => BASE + rng.below(LEN),
                1 => rng.below(64),
                2 => rng.below(12),
                _ => rng.next() & 0xffff_ffff,
            } as u32;
            image.extend_from_slice(&word.to_le_bytes());
        }
        let data = format!(
            r#"(data (i32.const {BASE}) "{}") {fixed}"#,
            image
                .iter()
                .map(|b| format!("\\{b:02x}"))
                .collect::<String>()
        );
        let mut body = String::new();
        let calls = [
            "(call $log (i32.const 3) (i32.const P))",
            "(call $set (i32.const 64) (i32.const 96) (i32.const P))",
            "(drop (call $keccak (i32.const P)))",
            "(drop (call $hex (i32.const P)))",
            "(drop (call $big (i32.const P)))",
            "(drop (call $dec (i32.const P)))",
            "(drop (call $encode (i32.const P)))",
            "(drop (call $call (i32.const P)))",
            "(call $create (i32.const P) (i32.const P))",
            "(drop (call $json (i32.const P)))",
        ];
        for (i, call) in calls.iter().enumerate() {
            let mut call = call.to_string();
            while call.contains("(i32.const P)") {
                let ptr = BASE + 4 * rng.below(LEN / 4);
                call = call.replacen("(i32.const P)", &format!("(i32.const {ptr})"), 1);
            }
            body.push_str(&format!("(func (export \"h{i}\") (param i32) {call})\n"));
        }
        let module = load_wat(&mapping(imports, &body, &data)).unwrap();
        for i in 0..calls.len() {
            let handler: &'static str = Box::leak(format!("h{i}").into_boxed_str());
            let result = Run::new(handler).on(&module).await;
            outcomes[usize::from(result.outcome.is_ok())] += 1;
            if let Err(e) = result.outcome {
                assert!(e.is_deterministic(), "{e}");
            }
        }
    }
    println!(
        "decoder fuzz: {} errors, {} successes",
        outcomes[0], outcomes[1]
    );
}

/// Without a gateway, IPFS functions halt indexing (non-deterministic) with a message naming the
/// flag, rather than record a result (`ipfs.map`: tests/ipfs_map.rs).
#[tokio::test]
async fn ipfs_without_a_gateway_is_non_deterministic() {
    let imports = r#"
  (import "index" "ipfs.cat" (func $cat (param i32) (result i32)))
  (import "index" "ipfs.getBlock" (func $block (param i32) (result i32)))"#;
    let body = r#"
  (func (export "cat") (param i32) (drop (call $cat (i32.const 64))))
  (func (export "block") (param i32) (drop (call $block (i32.const 64))))"#;
    // The string "Qm" at 64 (its byte length in the header word before it).
    let data = format!(r#"(data (i32.const 60) "{}\51\00\6d\00")"#, le(4));
    let module = load_wat(&mapping(imports, body, &data)).unwrap();
    for (handler, name) in [("cat", "ipfs.cat"), ("block", "ipfs.getBlock")] {
        let (error, deterministic) = failure(&module, handler).await;
        assert!(!deterministic, "{error}");
        assert!(
            error.contains(&format!("calls {name}, which needs an IPFS gateway")),
            "{error}"
        );
        assert!(error.contains("--ipfs URL"), "{error}");
    }
}

/// A UTF-16 string object for a wat data segment at `ptr`: its header's `rtSize` at `ptr - 4`.
fn string_at(ptr: u32, s: &str) -> String {
    let units: String = s
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("\\{b:02x}"))
        .collect();
    format!(
        r#"(data (i32.const {}) "{}{units}")"#,
        ptr - 4,
        le(2 * s.encode_utf16().count() as u32)
    )
}

/// `store.set` on a timeseries ignores the id the mapping passes and generates one (block
/// number in the upper 32 bits, the block's sequence in the lower, shared with `"auto"` ids of
/// other types, Bytes ids as two 4-byte big-endian numbers), and sets `timestamp` to the block's
/// time, as graph-node does; a file data source cannot generate ids; an aggregation cannot be
/// written.
#[tokio::test]
async fn timeseries_and_auto_ids_are_generated() {
    use std::sync::Arc;

    use sprig_manifest::Schema;
    use sprig_runtime::{BlockState, DataSourceInfo, HandlerContext, MappingTrigger};
    use sprig_store::EntityCache;
    use sprig_value::{EntityKey, Id, Value};

    let schema = Arc::new(
        Schema::parse(
            "type Trade @entity(timeseries: true) { id: Int8! timestamp: Timestamp! note: String }
             type Note @entity(immutable: true) { id: Bytes! }
             type Volume @aggregation(intervals: [\"hour\"], source: \"Trade\") {
               id: Int8! timestamp: Timestamp! trades: Int8! @aggregate(fn: \"count\")
             }",
        )
        .unwrap(),
    );
    let imports = r#"(import "index" "store.set" (func $set (param i32 i32 i32)))"#;
    // Trade with id "0" twice, then Note with id "auto": an empty entity map each time.
    let body = r#"
  (func (export "handler") (param i32)
    (call $set (i32.const 104) (i32.const 204) (i32.const 304))
    (call $set (i32.const 104) (i32.const 204) (i32.const 304))
    (call $set (i32.const 604) (i32.const 704) (i32.const 304)))
  (func (export "aggregation") (param i32)
    (call $set (i32.const 804) (i32.const 204) (i32.const 304)))"#;
    let data = [
        string_at(104, "Trade"),
        string_at(204, "0"),
        // TypedMap { entries } -> Array { buffer, dataStart, byteLength 0, length 0 }.
        format!(r#"(data (i32.const 300) "{}{}")"#, le(4), le(404)),
        format!(
            r#"(data (i32.const 400) "{}{}{}{}{}")"#,
            le(16),
            le(504),
            le(504),
            le(0),
            le(0)
        ),
        format!(r#"(data (i32.const 500) "{}")"#, le(0)),
        string_at(604, "Note"),
        string_at(704, "auto"),
        string_at(804, "Volume"),
    ]
    .join("\n  ");
    let module = load_wat(&mapping(imports, body, &data)).unwrap();
    let block = Arc::new(block(12));
    let run_handler = |handler: &str, state: BlockState| HandlerContext {
        handler: handler.to_string(),
        block: block.ptr(),
        block_timestamp: block.timestamp,
        data_source: DataSourceInfo {
            name: "Test".to_string(),
            network: "mainnet".to_string(),
            address: None,
            context: None,
            templates: Arc::new(Vec::new()),
            abis: abis(),
        },
        state,
        chain: Arc::new(FakeChain::default()),
        schema: schema.clone(),
    };
    let run = |state| run_handler("handler", state);
    let cache = || EntityCache::new(Arc::new(MemoryStore::default()), schema.clone());
    let trigger = || MappingTrigger::Block {
        block: block.clone(),
    };

    let mut result = module.run(trigger(), run(BlockState::new(cache()))).await;
    result.outcome.as_ref().unwrap();
    let time = Value::Timestamp(block.timestamp as i64 * 1_000_000);
    for seq in [0, 1] {
        let id = (12 << 32) + seq;
        let trade = result
            .state
            .cache
            .get(&EntityKey {
                entity_type: "Trade".into(),
                id: Id::Int8(id),
            })
            .unwrap()
            .unwrap_or_else(|| panic!("Trade {id} was not written"));
        assert_eq!(trade["id"], Value::Int8(id));
        assert_eq!(trade["timestamp"], time);
    }
    let note = EntityKey {
        entity_type: "Note".into(),
        id: Id::Bytes(vec![0, 0, 0, 12, 0, 0, 0, 2]),
    };
    assert!(result.state.cache.get(&note).unwrap().is_some());
    assert!(result
        .state
        .cache
        .get(&EntityKey {
            entity_type: "Trade".into(),
            id: Id::Int8(0),
        })
        .unwrap()
        .is_none());

    let result = module
        .run(trigger(), run(BlockState::offchain(cache())))
        .await;
    let error = result.outcome.unwrap_err();
    assert!(error.is_deterministic());
    assert!(
        error
            .to_string()
            .contains("Autogenerated IDs are only supported for onchain data sources"),
        "{error}"
    );

    let result = module
        .run(
            trigger(),
            run_handler("aggregation", BlockState::new(cache())),
        )
        .await;
    let error = result.outcome.unwrap_err();
    assert!(error.is_deterministic());
    assert!(
        error
            .to_string()
            .contains("Cannot set entity of type `Volume`. The type must be an @entity type"),
        "{error}"
    );
}
