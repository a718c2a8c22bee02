//! Conformance tests against the hard-coded vectors of graph-node and of the stable-hash crate,
//! plus an offline reference form of the PoI to check the online accumulation against.

use std::collections::{HashMap, HashSet};

use sprig_poi::{
    fast_stable_hash, finish_poi, AsBytes, AsUnorderedSet, BlockPoi, FieldAddress, PoiEvent,
    StableHash, StableHasher,
};
use sprig_value::{Entity, Value};

// ---------------------------------------------------------------------------------------------
// stable-hash (branch `main`) fast vectors: tests/backward_compatibility.rs,
// tests/number_lowerings.rs, tests/unordered_collections.rs, tests/high_bits.rs
// ---------------------------------------------------------------------------------------------

struct One<T>(T);
impl<T: StableHash> StableHash for One<T> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        self.0.stable_hash(addr.child(0), state);
    }
}

struct Two<T0, T1>(T0, T1);
impl<T0: StableHash, T1: StableHash> StableHash for Two<T0, T1> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        self.0.stable_hash(addr.child(0), state);
        self.1.stable_hash(addr.child(1), state);
    }
}

#[test]
fn stable_hash_add_optional_field() {
    let expected = 102568403942768160221811810082933398928u128;
    assert_eq!(fast_stable_hash(&One(5u32)), expected);
    assert_eq!(fast_stable_hash(&Two(5u32, Option::<u32>::None)), expected);
}

#[test]
fn stable_hash_add_default_field() {
    let expected = 237994494046445339248193596542695086083u128;
    assert_eq!(fast_stable_hash(&One("one")), expected);
    assert_eq!(fast_stable_hash(&Two("one", "")), expected);
}

#[test]
fn stable_hash_empty_vec_is_default() {
    let expected = 338065623630761276859032195206974584513u128;
    assert_eq!(fast_stable_hash(&One(true)), expected);
    assert_eq!(fast_stable_hash(&Two(true, Vec::<u32>::new())), expected);
}

#[test]
fn stable_hash_numbers_through_vec() {
    let expected = 99946908715907655724842348751554312075u128;
    assert_eq!(fast_stable_hash(&vec![1u32, 2u32]), expected);
    assert_eq!(fast_stable_hash(&vec![1u16, 2u16]), expected);
}

#[test]
fn stable_hash_not_equal_cases() {
    assert_ne!(
        fast_stable_hash(&One("one")),
        fast_stable_hash(&Two("one", "two"))
    );
    assert_ne!(
        fast_stable_hash(&Some(0u32)),
        fast_stable_hash(&None::<u32>)
    );
    assert_ne!(
        fast_stable_hash(&One(true)),
        fast_stable_hash(&Two(true, true))
    );
    assert_ne!(
        fast_stable_hash(&vec![1u32, 0, 2]),
        fast_stable_hash(&vec![0u32, 1, 2])
    );
    assert_ne!(
        fast_stable_hash(&vec![1u32, 2, 0]),
        fast_stable_hash(&vec![1u32, 2])
    );
    let v = [1u8, 2u8];
    assert_ne!(fast_stable_hash(&v[..]), fast_stable_hash(&AsBytes(&v)));
    let v = [0u8];
    assert_ne!(fast_stable_hash(&v[..]), fast_stable_hash(&AsBytes(&v)));
}

/// `nums_equal!`: the same number hashes the same in every integer width that holds it.
macro_rules! nums_equal {
    ($value:expr, $expected:expr; $($t:ty),+) => {
        $( assert_eq!(fast_stable_hash(&($value as $t)), $expected, stringify!($t)); )+
    };
}

#[test]
fn stable_hash_number_lowerings() {
    nums_equal!(9, 300476818725221552349680556501826519020u128;
        u8, i8, u16, i16, u32, i32, u64, i64, u128, i128, usize, isize);
    nums_equal!(22768, 267889586120720093728974019393202813371u128;
        u16, i16, u32, i32, u64, i64, u128, i128, usize, isize);
    nums_equal!(1147483648u32, 153307879801214114810947011432341239903u128;
        u32, i32, u64, i64, u128, i128, usize, isize);
    nums_equal!(8223372036854775808u64, 197551458649817792793208280303837943651u128;
        u64, i64, u128, i128);
    nums_equal!(160141183460469231731687303715884105728u128,
        316624692538722035069858420207567234408u128; u128, i128);
    nums_equal!(-9223372036854775808i64, 164532978612348024195114867208653811138u128;
        i64, i128, isize);
    nums_equal!(-2147483647i32, 239204485172876817593979528007622242056u128; i32, i64, i128, isize);
    nums_equal!(-12768i16, 233654010282297787487544343827881770671u128; i16, i32, i64, i128, isize);
    nums_equal!(-12i8, 67048966086700017767258589930187130954u128; i8, i16, i32, i64, i128, isize);
}

#[test]
fn stable_hash_hash_map_eq() {
    let expected = 60093794751952876589018848897648863192u128;
    let a: HashMap<i32, &str> = [(1, "one"), (2, "two"), (3, "three")].into_iter().collect();
    let b: HashMap<i32, &str> = [(3, "three"), (1, "one"), (2, "two")].into_iter().collect();
    assert_eq!(fast_stable_hash(&a), expected);
    assert_eq!(fast_stable_hash(&b), expected);
    // Same members as an ordered map or an explicit list of pairs in another order.
    let c: std::collections::BTreeMap<i32, &str> = a.clone().into_iter().collect();
    assert_eq!(fast_stable_hash(&c), expected);
    let pairs = [(2, "two"), (3, "three"), (1, "one")];
    assert_eq!(fast_stable_hash(&AsUnorderedSet(pairs.iter())), expected);
}

#[test]
fn stable_hash_hash_map_ne() {
    let m = |v: &[(i32, &'static str)]| -> u128 {
        fast_stable_hash(&v.iter().copied().collect::<HashMap<_, _>>())
    };
    let base = m(&[(1, "one"), (2, "two"), (3, "three")]);
    assert_ne!(m(&[(1, "one"), (2, "two"), (3, "three"), (0, "")]), base);
    assert_ne!(m(&[(9, "one"), (2, "two"), (3, "three")]), base);
    assert_ne!(m(&[(1, "X"), (2, "two"), (3, "three")]), base);
    assert_ne!(m(&[(1, "one"), (2, "two")]), m(&[(1, "two"), (2, "one")]));
}

#[test]
fn stable_hash_hash_set_eq() {
    let expected = 261168114195377271993952934537749440506u128;
    let a: HashSet<i32> = [1, 2, 3].into_iter().collect();
    let b: HashSet<i32> = [3, 2, 1].into_iter().collect();
    assert_eq!(fast_stable_hash(&a), expected);
    assert_eq!(fast_stable_hash(&b), expected);
    let s = |v: &[i32]| fast_stable_hash(&v.iter().copied().collect::<HashSet<_>>());
    assert_ne!(s(&[0, 1, 2]), s(&[1, 2]));
    assert_ne!(s(&[1, 2]), s(&[3, 2]));
}

#[test]
fn stable_hash_uses_high_bits_in_seed() {
    let value = vec![vec![vec![vec![vec![vec![vec![vec![vec![vec![10u8]]]]]]]]]];
    assert_eq!(
        fast_stable_hash(&value),
        43065473437393246775826330103672755677u128
    );
}

// ---------------------------------------------------------------------------------------------
// Reference (offline) form of the PoI: graph-node's `PoI` struct of
// graph/src/components/subgraph/proof_of_indexing/mod.rs, hashed in one go.
// ---------------------------------------------------------------------------------------------

/// `PoI { causality_regions: HashMap<String, { blocks: Vec<{ events }> }>, subgraph_id,
/// block_hash, indexer }`.
struct RefPoi {
    regions: HashMap<String, Vec<Vec<PoiEvent>>>,
    subgraph_id: &'static str,
    block_hash: [u8; 32],
    indexer: Option<[u8; 20]>,
}

struct RefBlock<'a>(&'a [PoiEvent]);
impl StableHash for RefBlock<'_> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        // Block { events } -> events at child(0)
        self.0.stable_hash(addr.child(0), state);
    }
}

struct RefRegion<'a>(&'a [Vec<PoiEvent>]);
impl StableHash for RefRegion<'_> {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        // PoICausalityRegion { blocks } -> blocks at child(0)
        let blocks: Vec<RefBlock<'_>> = self.0.iter().map(|b| RefBlock(b)).collect();
        blocks.stable_hash(addr.child(0), state);
    }
}

impl StableHash for RefPoi {
    fn stable_hash(&self, addr: FieldAddress, state: &mut StableHasher) {
        let regions = self.regions.iter().map(|(k, v)| (k, RefRegion(v)));
        AsUnorderedSet(regions).stable_hash(addr.child(0), state);
        One(self.subgraph_id).stable_hash(addr.child(1), state);
        AsBytes(&self.block_hash).stable_hash(addr.child(2), state);
        self.indexer
            .as_ref()
            .map(|a| AsBytes(a))
            .stable_hash(addr.child(3), state);
    }
}

impl RefPoi {
    /// keccak256 of the little-endian fast stable hash, as graph-node's test does offline.
    fn offline(&self) -> [u8; 32] {
        alloy::primitives::keccak256(fast_stable_hash(self).to_le_bytes()).0
    }

    /// The online path, as graph-node's `check` drives it: one `BlockPoi` per block, regions
    /// touched only by their events, digests kept in a map, then the finisher at the last block.
    fn online(&self) -> [u8; 32] {
        let block_count = self.regions.values().next().map_or(1, |r| r.len());
        let mut db: HashMap<String, Vec<u8>> = HashMap::new();
        for b in 0..block_count {
            let mut block = BlockPoi::new(b as u64);
            for (name, region) in &self.regions {
                for event in &region[b] {
                    block.write(name, event);
                }
            }
            for (name, digest) in block.finish(|name| db.get(name).cloned()) {
                db.insert(name, digest);
            }
        }
        let regions: Vec<(String, Vec<u8>)> = db.into_iter().collect();
        finish_poi(
            self.subgraph_id,
            self.block_hash,
            self.indexer,
            (block_count - 1) as u64,
            &regions,
        )
        .unwrap()
    }

    fn check(&self, expected_hex: &str, name: &str) {
        let offline = hex(&self.offline());
        let online = hex(&self.online());
        assert_eq!(online, offline, "online vs reference, case {name}");
        assert_eq!(online, expected_hex, "hard-coded vector, case {name}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn entity(fields: &[(&str, Value)]) -> Entity {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn set(entity_type: &str, id: &str, data: &Entity) -> PoiEvent {
    PoiEvent::SetEntity {
        entity_type: entity_type.into(),
        id: id.into(),
        data: data.clone(),
    }
}

fn remove(entity_type: &str, id: &str) -> PoiEvent {
    PoiEvent::RemoveEntity {
        entity_type: entity_type.into(),
        id: id.into(),
    }
}

/// `data`: `type User @entity { id: String!, val: Int }` with `{ id: "id", val: 1 }`.
fn data() -> Entity {
    entity(&[("id", Value::String("id".into())), ("val", Value::Int(1))])
}

/// `data_empty`: `type User @entity { id: String! }` with `{ id: "id" }`.
fn data_empty() -> Entity {
    entity(&[("id", Value::String("id".into()))])
}

/// `data2`: `{ id: "id", key: "s", null: null }`.
fn data2() -> Entity {
    entity(&[
        ("id", Value::String("id".into())),
        ("key", Value::String("s".into())),
        ("null", Value::Null),
    ])
}

fn regions(list: Vec<(&str, Vec<Vec<PoiEvent>>)>) -> HashMap<String, Vec<Vec<PoiEvent>>> {
    list.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

// graph-node `online_vs_reference`, Fast column, all cases.

#[test]
fn graph_node_genesis() {
    RefPoi {
        regions: HashMap::new(),
        subgraph_id: "test",
        block_hash: [1; 32],
        indexer: None,
    }
    .check(
        "dced49c45eac68e8b3d8f857928e7be6c270f2db8b56b0d7f27ce725100bae01",
        "genesis",
    );
}

#[test]
fn graph_node_one_event() {
    RefPoi {
        regions: regions(vec![(
            "eth",
            vec![vec![], vec![set("t", "id", &data_empty())]],
        )]),
        subgraph_id: "test",
        block_hash: [1; 32],
        indexer: Some([1; 20]),
    }
    .check(
        "8bb3373fb55e02bde3202bac0eeecf1bd9a676856a4dd6667bd809aceda41885",
        "one_event",
    );
}

#[test]
fn graph_node_multiple_blocks() {
    RefPoi {
        regions: regions(vec![(
            "eth",
            vec![
                vec![],
                vec![set("type", "id", &data())],
                vec![],
                vec![set("type", "id", &data_empty())],
                vec![],
            ],
        )]),
        subgraph_id: "b",
        block_hash: [3; 32],
        indexer: Some([1; 20]),
    }
    .check(
        "8b0097ad96b21f7e4bd8dcc41985e6e5506b808f1185016ab1073dd8745238ce",
        "multiple_blocks",
    );
}

#[test]
fn graph_node_causality_regions() {
    RefPoi {
        regions: regions(vec![
            (
                "eth",
                vec![
                    vec![],
                    vec![set("type", "id", &data2())],
                    vec![],
                    vec![remove("type", "id")],
                    vec![],
                ],
            ),
            (
                "ipfs",
                vec![
                    vec![],
                    vec![set("type", "id", &data())],
                    vec![],
                    vec![set("type", "id", &data())],
                    vec![],
                ],
            ),
        ]),
        subgraph_id: "b",
        block_hash: [3; 32],
        indexer: Some([1; 20]),
    }
    .check(
        "2041af28678e68406247a5cfb5fe336947da75256c79b35c2f61fc7985091c0e",
        "causality_regions",
    );
}

#[test]
fn graph_node_data() {
    RefPoi {
        regions: regions(vec![(
            "eth",
            vec![vec![], vec![set("type", "id", &data())]],
        )]),
        subgraph_id: "test",
        block_hash: [1; 32],
        indexer: Some([4; 20]),
    }
    .check(
        "421ef30a03be64014b9eef2b999795dcabfc601368040df855635e7886eb3822",
        "data",
    );
}

// ---------------------------------------------------------------------------------------------
// Beyond graph-node's vectors: online == reference for deterministic errors (graph-node has no
// hard-coded vector for them) and for every value kind.
// ---------------------------------------------------------------------------------------------

#[test]
fn deterministic_errors_online_vs_reference() {
    // Block 1: trigger A sets x; trigger B sets y, z then fails -> DeterministicError(2).
    let x = entity(&[("id", Value::String("x".into()))]);
    let y = entity(&[("id", Value::String("y".into()))]);
    let z = entity(&[("id", Value::String("z".into()))]);
    let poi = RefPoi {
        regions: regions(vec![(
            "ethereum/mainnet",
            vec![
                vec![],
                vec![
                    set("T", "x", &x),
                    set("T", "y", &y),
                    set("T", "z", &z),
                    PoiEvent::DeterministicError { redacted_events: 2 },
                ],
            ],
        )]),
        subgraph_id: "QmTest",
        block_hash: [9; 32],
        indexer: Some([0; 20]),
    };
    assert_eq!(poi.online(), poi.offline());

    // The same through start_trigger / write_deterministic_error.
    let mut block = BlockPoi::new(1);
    let r = "ethereum/mainnet";
    block.start_trigger(r);
    block.write(r, &set("T", "x", &x));
    block.start_trigger(r);
    block.write(r, &set("T", "y", &y));
    block.write(r, &set("T", "z", &z));
    assert_eq!(block.write_deterministic_error(r), 2);
    let digests = block.finish(|_| None);
    let got = finish_poi("QmTest", [9; 32], Some([0; 20]), 1, &digests).unwrap();
    assert_eq!(got, poi.offline());

    // The other split of the same events (see graph-node's event.rs) gives another PoI.
    let other = RefPoi {
        regions: regions(vec![(
            "ethereum/mainnet",
            vec![
                vec![],
                vec![
                    set("T", "x", &x),
                    set("T", "y", &y),
                    set("T", "z", &z),
                    PoiEvent::DeterministicError { redacted_events: 1 },
                ],
            ],
        )]),
        subgraph_id: "QmTest",
        block_hash: [9; 32],
        indexer: Some([0; 20]),
    };
    assert_ne!(other.offline(), poi.offline());
}

#[test]
fn all_value_kinds_online_vs_reference() {
    let rich = entity(&[
        ("id", Value::Bytes(vec![0xde, 0xad])),
        ("s", Value::String("hello".into())),
        ("i", Value::Int(-7)),
        ("i8", Value::Int8(i64::MIN)),
        ("ts", Value::Timestamp(1_700_000_000_000_000)),
        ("bd", Value::BigDecimal("-123.4500".parse().unwrap())),
        (
            "bi",
            Value::BigInt("-1000000000000000000000".parse().unwrap()),
        ),
        ("b", Value::Bool(true)),
        ("f", Value::Bool(false)),
        (
            "l",
            Value::List(vec![
                Value::Int(1),
                Value::Null,
                Value::String(String::new()),
            ]),
        ),
        ("n", Value::Null),
        ("empty", Value::Bytes(vec![])),
    ]);
    let poi = RefPoi {
        regions: regions(vec![(
            "ethereum/sepolia",
            vec![
                vec![set("Rich", "0xdead", &rich)],
                vec![],
                vec![remove("Rich", "0xdead"), set("Rich", "0xdead", &rich)],
            ],
        )]),
        subgraph_id: "QmRich",
        block_hash: [0xab; 32],
        indexer: None,
    };
    assert_eq!(poi.online(), poi.offline());
}
