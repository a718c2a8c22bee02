//! Property tests (seeded, deterministic): what must and must not change the PoI.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sprig_poi::{
    fast_stable_hash, finish_poi, AsUnorderedSet, BlockPoi, EntityData, PoiEvent, RegionBlockPoi,
    StableHasher,
};
use sprig_value::{BigDecimal, BigInt, Entity, Value};

/// splitmix64: a tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }

    fn string(&mut self) -> String {
        let len = self.below(6);
        (0..len)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 10 } else { 9 }) {
            0 => Value::Null,
            1 => Value::String(self.string()),
            2 => Value::Int(self.next() as i32),
            3 => Value::Int8(self.next() as i64),
            4 => Value::Timestamp((self.next() as i64) >> 8),
            5 => Value::Bool(self.below(2) == 0),
            6 => Value::Bytes((0..self.below(5)).map(|_| self.next() as u8).collect()),
            7 => Value::BigInt(BigInt::from(self.next() as i64).times(&BigInt::from(self.next()))),
            8 => Value::BigDecimal(
                BigDecimal::new(BigInt::from(self.next() as i64), self.below(41) as i64 - 20)
                    .unwrap(),
            ),
            _ => Value::List((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
        }
    }

    fn entity(&mut self) -> Vec<(String, Value)> {
        let mut fields = vec![("id".to_string(), Value::String(self.string()))];
        for i in 0..self.below(6) {
            fields.push((format!("f{i}_{}", self.string()), self.value(0)));
        }
        fields
    }

    fn event(&mut self) -> PoiEvent {
        match self.below(5) {
            0 => PoiEvent::RemoveEntity {
                entity_type: format!("T{}", self.string()),
                id: self.string(),
            },
            1 => PoiEvent::DeterministicError {
                redacted_events: self.below(4),
            },
            _ => PoiEvent::SetEntity {
                entity_type: format!("T{}", self.string()),
                id: self.string(),
                data: self.entity().into_iter().collect(),
            },
        }
    }
}

fn region_digest(block: u64, events: &[PoiEvent], prev: Option<&[u8]>) -> Vec<u8> {
    let mut r = RegionBlockPoi::new(block);
    for e in events {
        r.write(e);
    }
    r.finish(prev)
}

#[test]
fn order_of_entity_fields_does_not_matter() {
    let mut rng = Rng(1);
    for _ in 0..300 {
        let fields = rng.entity();
        let entity: Entity = fields.iter().cloned().collect();
        let mut shuffled = fields.clone();
        rng.shuffle(&mut shuffled);
        let pairs: Vec<(&String, &Value)> = shuffled.iter().map(|(k, v)| (k, v)).collect();
        assert_eq!(
            fast_stable_hash(&EntityData(&entity)),
            fast_stable_hash(&AsUnorderedSet(pairs.iter().copied()))
        );
        // Insertion order into the entity map is irrelevant too.
        let entity2: Entity = shuffled.into_iter().collect();
        let set = |data: Entity| PoiEvent::SetEntity {
            entity_type: "T".into(),
            id: "1".into(),
            data,
        };
        assert_eq!(
            region_digest(3, &[set(entity.clone())], None),
            region_digest(3, &[set(entity2)], None)
        );
    }
}

#[test]
fn order_of_events_matters() {
    let mut rng = Rng(2);
    let mut checked = 0;
    for _ in 0..300 {
        let n = 2 + rng.below(5) as usize;
        let events: Vec<PoiEvent> = (0..n).map(|_| rng.event()).collect();
        let i = rng.below(n as u64) as usize;
        let j = rng.below(n as u64) as usize;
        if events[i] == events[j] {
            continue;
        }
        let mut swapped = events.clone();
        swapped.swap(i, j);
        assert_ne!(
            region_digest(5, &events, None),
            region_digest(5, &swapped, None)
        );
        checked += 1;
    }
    assert!(checked > 200);
}

#[test]
fn block_of_an_event_matters() {
    let mut rng = Rng(3);
    for _ in 0..100 {
        let e = rng.event();
        let b = rng.below(1000);
        assert_ne!(
            region_digest(b, std::slice::from_ref(&e), None),
            region_digest(b + 1, &[e], None)
        );
    }
}

#[test]
fn changing_any_field_value_changes_the_digest() {
    let mut rng = Rng(4);
    for _ in 0..300 {
        let fields = rng.entity();
        let entity: Entity = fields.iter().cloned().collect();
        let key = fields[rng.below(fields.len() as u64) as usize].0.clone();
        let mut other = entity.clone();
        let new = rng.value(0);
        if other.get(&key) == Some(&new) {
            continue;
        }
        other.insert(key, new);
        assert_ne!(
            fast_stable_hash(&EntityData(&entity)),
            fast_stable_hash(&EntityData(&other))
        );
    }
}

#[test]
fn chained_digests_equal_one_hasher_over_all_blocks() {
    // Mixing per-block digests is the same as writing every block's events into one hasher.
    let mut rng = Rng(5);
    for _ in 0..50 {
        let blocks: Vec<Vec<PoiEvent>> = (0..1 + rng.below(6))
            .map(|_| (0..rng.below(4)).map(|_| rng.event()).collect())
            .collect();
        let mut prev: Option<Vec<u8>> = None;
        let mut single = StableHasher::new();
        for (b, events) in blocks.iter().enumerate() {
            prev = Some(region_digest(b as u64, events, prev.as_deref()));
            let mut one_block = RegionBlockPoi::new(b as u64);
            for e in events {
                one_block.write(e);
            }
            single.mixin(&StableHasher::from_bytes(
                one_block.finish(None).try_into().unwrap(),
            ));
        }
        assert_eq!(prev.unwrap(), single.to_bytes().to_vec());
    }
}

#[test]
fn regions_are_independent_and_unordered_in_the_finisher() {
    let mut rng = Rng(6);
    for _ in 0..50 {
        let mut block = BlockPoi::new(7);
        let mut per_region: HashMap<String, Vec<PoiEvent>> = HashMap::new();
        for _ in 0..rng.below(10) {
            let region = format!("ethereum/net{}", rng.below(3));
            let e = rng.event();
            block.write(&region, &e);
            per_region.entry(region).or_default().push(e);
        }
        let mut digests = block.finish(|_| None);
        for (name, digest) in &digests {
            assert_eq!(digest, &region_digest(7, &per_region[name], None));
        }
        let a = finish_poi("Qm", [2; 32], None, 7, &digests).unwrap();
        digests.reverse();
        let b = finish_poi("Qm", [2; 32], None, 7, &digests).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn finisher_inputs_all_matter() {
    let digests = vec![(
        "ethereum/mainnet".to_string(),
        region_digest(
            3,
            &[PoiEvent::DeterministicError { redacted_events: 0 }],
            None,
        ),
    )];
    let base = finish_poi("QmA", [1; 32], None, 3, &digests).unwrap();
    assert_ne!(base, finish_poi("QmB", [1; 32], None, 3, &digests).unwrap());
    assert_ne!(base, finish_poi("QmA", [2; 32], None, 3, &digests).unwrap());
    assert_ne!(
        base,
        finish_poi("QmA", [1; 32], Some([0; 20]), 3, &digests).unwrap()
    );
    assert_ne!(base, finish_poi("QmA", [1; 32], None, 4, &digests).unwrap());
    assert_ne!(base, finish_poi("QmA", [1; 32], None, 3, &[]).unwrap());
    let renamed = vec![("ethereum/sepolia".to_string(), digests[0].1.clone())];
    assert_ne!(base, finish_poi("QmA", [1; 32], None, 3, &renamed).unwrap());
}

#[test]
fn touched_region_without_events() {
    // graph-node creates a region's stream on start_handler: with no previous digest the region
    // gets the empty-hasher digest (and so appears in the PoI); with one, it is unchanged.
    let mut block = BlockPoi::new(4);
    block.start_trigger("ethereum/mainnet");
    let digests = block.finish(|_| None);
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0].1, StableHasher::new().to_bytes().to_vec());
    assert_ne!(
        finish_poi("Qm", [0; 32], None, 4, &digests).unwrap(),
        finish_poi("Qm", [0; 32], None, 4, &[]).unwrap()
    );

    let prev = region_digest(
        2,
        &[PoiEvent::DeterministicError { redacted_events: 1 }],
        None,
    );
    let mut block = BlockPoi::new(4);
    block.start_trigger("ethereum/mainnet");
    let digests = block.finish(|_| Some(prev.clone()));
    assert_eq!(digests[0].1, prev);
}

#[test]
fn legacy_previous_digest_is_sha256d() {
    let legacy = vec![7u8; 256];
    let sha: [u8; 32] = Sha256::digest(&legacy).into();
    let events = [PoiEvent::RemoveEntity {
        entity_type: "T".into(),
        id: "1".into(),
    }];
    assert_eq!(
        region_digest(9, &events, Some(&legacy)),
        region_digest(9, &events, Some(&sha))
    );
    // The finisher refuses a legacy digest instead of producing a wrong PoI.
    let err = finish_poi("Qm", [0; 32], None, 9, &[("r".into(), legacy)]).unwrap_err();
    assert_eq!(err.len, 256);
}

#[test]
fn redacted_count_is_per_trigger() {
    let e = PoiEvent::RemoveEntity {
        entity_type: "T".into(),
        id: "1".into(),
    };
    let mut r = RegionBlockPoi::new(1);
    r.start_trigger();
    r.write(&e);
    r.write(&e);
    r.start_trigger();
    r.write(&e);
    assert_eq!(r.write_deterministic_error(), 1);
    assert_eq!(r.event_count(), 4);
    // No trigger started: counts from the beginning of the block.
    let mut r = RegionBlockPoi::new(1);
    r.write(&e);
    assert_eq!(r.write_deterministic_error(), 1);
}
