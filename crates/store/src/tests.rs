//! Tests of the store, each run against both backends: a SQLite file in a temporary directory
//! and a fresh database on a PostgreSQL server started for the test process. Running the same
//! assertions on both is what keeps their answers identical.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_value::{BigDecimal, BigInt, BlockPtr, Entity, EntityKey, Id, Value};
use tempfile::TempDir;

use crate::testing::Postgres;

use crate::sql::test_rng::Rng;
use crate::{
    BlockWrite, Deployment, EntityCache, EntityModification, EntityQuery, EntityReader, Filter,
    OrderDirection, QueryStore, Store, StoredDataSource, SubgraphFailure, WritableStore,
};

const SDL: &str = r#"
    enum Kind { Alpha, Beta }
    interface Named { id: ID! name: String! }
    type Token implements Named @entity(immutable: false) {
      id: ID!
      name: String!
      decimals: Int
      supply: BigInt
      price: BigDecimal
      active: Boolean
      createdAt: Timestamp
      nonce: Int8
      data: Bytes
      kind: Kind
      tags: [String!]
      amounts: [BigInt!]
      owner: Account
      friends: [Account!]
    }
    type Account @entity(immutable: false) {
      id: Bytes!
      balance: BigInt!
      tokens: [Token!]! @derivedFrom(field: "owner")
    }
    type Transfer @entity(immutable: true) {
      id: Int8!
      from: Account!
      value: BigInt!
    }
"#;

fn schema() -> Arc<Schema> {
    Arc::new(Schema::parse(SDL).unwrap())
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// An empty database of one backend; keep it alive while using the store.
struct TestDb {
    location: String,
    _dir: Option<TempDir>,
    _server: Option<std::sync::Arc<Postgres>>,
}

impl TestDb {
    fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                TestDb {
                    location: dir.path().join("sub/dir/sprig.db").display().to_string(),
                    _dir: Some(dir),
                    _server: None,
                }
            }
            Backend::Postgres => {
                let server = Postgres::shared().unwrap();
                TestDb {
                    location: server.create_database().unwrap(),
                    _dir: None,
                    _server: Some(server),
                }
            }
        }
    }

    /// Opens the database (again).
    fn open(&self) -> Store {
        Store::open(&self.location).unwrap()
    }
}

/// A fresh database with deployment `test`. Keep the `TestDb` alive while using the store.
fn setup(backend: Backend) -> (TestDb, Store, Deployment) {
    let dir = TestDb::new(backend);
    let store = dir.open();
    let deployment = store.deployment("test", schema()).unwrap();
    (dir, store, deployment)
}

fn ptr(number: u64) -> BlockPtr {
    BlockPtr {
        number,
        hash: [number as u8; 32],
    }
}

fn key(entity_type: &str, id: Id) -> EntityKey {
    EntityKey {
        entity_type: entity_type.into(),
        id,
    }
}

fn token_key(id: &str) -> EntityKey {
    key("Token", Id::String(id.into()))
}

fn entity(fields: &[(&str, Value)]) -> Entity {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn text(s: &str) -> Value {
    Value::String(s.into())
}

fn big(n: i64) -> Value {
    Value::BigInt(BigInt::from(n))
}

fn dec(s: &str) -> Value {
    Value::BigDecimal(s.parse().unwrap())
}

fn token(id: &str, extra: &[(&str, Value)]) -> Entity {
    let mut e = entity(&[("id", text(id)), ("name", text(&format!("token {id}")))]);
    e.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    e
}

fn insert(data: Entity) -> EntityModification {
    let id = match &data["id"] {
        Value::String(s) => s.clone(),
        other => panic!("not a string id: {other}"),
    };
    EntityModification::Insert {
        key: token_key(&id),
        data,
    }
}

fn block(modifications: Vec<EntityModification>) -> BlockWrite {
    BlockWrite {
        modifications,
        ..BlockWrite::default()
    }
}

fn tokens(filters: Vec<Filter>) -> EntityQuery {
    EntityQuery {
        entity_type: "Token".into(),
        filters,
        order_by: None,
        order_direction: OrderDirection::Ascending,
        first: 1000,
        skip: 0,
        block: None,
    }
}

fn ids(entities: &[Entity]) -> Vec<String> {
    entities.iter().map(|e| e["id"].to_string()).collect()
}

fn query_ids(deployment: &Deployment, filters: Vec<Filter>) -> Vec<String> {
    ids(&deployment.query(&tokens(filters)).unwrap())
}

#[test]
fn handles_are_shareable_across_threads() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Store>();
    assert_shareable::<Deployment>();
    assert_shareable::<crate::SqliteDeployment>();
    assert_shareable::<crate::PostgresDeployment>();
}

fn writes_a_block_atomically_with_its_head(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    assert_eq!(d.status().unwrap().head, None);
    let full = token(
        "a",
        &[
            ("decimals", Value::Int(18)),
            ("supply", big(-5)),
            ("price", dec("0.25")),
            ("active", Value::Bool(true)),
            ("createdAt", Value::Timestamp(1_700_000_000_000_000)),
            ("nonce", Value::Int8(i64::MIN)),
            ("data", Value::Bytes(vec![0, 1, 2])),
            ("kind", text("Alpha")),
            ("tags", Value::List(vec![text("x"), text("y")])),
            ("amounts", Value::List(vec![big(1), big(-2)])),
            ("owner", Value::Bytes(vec![0xaa])),
            ("friends", Value::List(vec![Value::Bytes(vec![0xbb])])),
        ],
    );
    d.transact_block(ptr(1), 100, block(vec![insert(full.clone())]))
        .unwrap();
    assert_eq!(
        EntityReader::get(&d, &token_key("a")).unwrap(),
        Some(full.clone())
    );
    assert_eq!(d.find(&token_key("a"), None).unwrap(), Some(full));
    let status = d.status().unwrap();
    assert_eq!(
        (status.head, status.head_timestamp),
        (Some(ptr(1)), Some(100))
    );

    // A block that fails halfway leaves no trace: not its first insert, not its head.
    let bad = block(vec![
        insert(token("b", &[])),
        EntityModification::Remove {
            key: token_key("missing"),
        },
    ]);
    let err = format!("{:#}", d.transact_block(ptr(2), 200, bad).unwrap_err());
    assert!(
        err.contains("Token[missing]") && err.contains("does not exist"),
        "{err}"
    );
    assert_eq!(d.find(&token_key("b"), None).unwrap(), None);
    assert_eq!(d.status().unwrap().head, Some(ptr(1)));

    // Blocks must move forward.
    assert!(d
        .transact_block(ptr(1), 100, BlockWrite::default())
        .is_err());
}

fn overwrites_and_removes_create_versions(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    d.transact_block(
        ptr(1),
        0,
        block(vec![insert(token("a", &[("supply", big(1))]))]),
    )
    .unwrap();
    d.transact_block(
        ptr(2),
        0,
        block(vec![EntityModification::Overwrite {
            key: token_key("a"),
            data: token("a", &[("supply", big(2))]),
        }]),
    )
    .unwrap();
    d.transact_block(
        ptr(3),
        0,
        block(vec![EntityModification::Remove {
            key: token_key("a"),
        }]),
    )
    .unwrap();
    let supply_at = |n| {
        d.find(&token_key("a"), Some(n))
            .unwrap()
            .map(|e| e["supply"].clone())
    };
    assert_eq!(supply_at(0), None);
    assert_eq!(supply_at(1), Some(big(1)));
    assert_eq!(supply_at(2), Some(big(2)));
    assert_eq!(supply_at(3), None);
    assert_eq!(d.find(&token_key("a"), None).unwrap(), None);

    // Inserting over a current version is a bug in the caller and is refused.
    d.transact_block(ptr(4), 0, block(vec![insert(token("a", &[]))]))
        .unwrap();
    let err = format!(
        "{:#}",
        d.transact_block(ptr(5), 0, block(vec![insert(token("a", &[]))]))
            .unwrap_err()
    );
    assert!(err.contains("already exists"), "{err}");
}

/// Blocks large enough to be written in several multi-row statements per table (runs of 256,
/// then the binary digits of the rest) give the same versions as one statement per entity would,
/// and a bad entity anywhere in a run is named and leaves nothing of its block behind.
fn large_blocks_are_written_in_batches(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let id = |i: usize| format!("t{i:04}");
    let first: Vec<_> = (0..700)
        .map(|i| insert(token(&id(i), &[("supply", big(i as i64))])))
        .collect();
    d.transact_block(ptr(1), 0, block(first)).unwrap();

    // Overwrite 0..300, remove 300..337, insert 700..705, in an interleaved order.
    let mut second = Vec::new();
    for i in 0..300 {
        second.push(EntityModification::Overwrite {
            key: token_key(&id(i)),
            data: token(&id(i), &[("supply", big(-(i as i64)))]),
        });
        if i < 37 {
            second.push(EntityModification::Remove {
                key: token_key(&id(300 + i)),
            });
        }
        if i < 5 {
            second.push(insert(token(&id(700 + i), &[])));
        }
    }
    d.transact_block(ptr(2), 0, block(second)).unwrap();
    let supply = |i: usize, at: Option<u64>| {
        d.find(&token_key(&id(i)), at)
            .unwrap()
            .map(|e| e.get("supply").cloned().unwrap_or(Value::Null))
    };
    for i in [0, 1, 255, 256, 299] {
        assert_eq!(supply(i, None), Some(big(-(i as i64))), "token {i}");
        assert_eq!(
            supply(i, Some(1)),
            Some(big(i as i64)),
            "token {i} at block 1"
        );
    }
    for i in [300, 336] {
        assert_eq!(supply(i, None), None, "removed token {i}");
        assert_eq!(supply(i, Some(1)), Some(big(i as i64)));
    }
    assert_eq!(supply(337, None), Some(big(337)));
    assert_eq!(supply(704, None), Some(Value::Null));
    let mut all = tokens(vec![]);
    all.first = 1000;
    assert_eq!(d.query(&all).unwrap().len(), 700 - 37 + 5);

    // A remove of a missing entity in the middle of a run of 300.
    let mut removes: Vec<_> = (400..700)
        .map(|i| EntityModification::Remove {
            key: token_key(&id(i)),
        })
        .collect();
    removes[150] = EntityModification::Remove {
        key: token_key("missing"),
    };
    let err = format!(
        "{:#}",
        d.transact_block(ptr(3), 0, block(removes)).unwrap_err()
    );
    assert!(
        err.contains("block 3") && err.contains("Token[missing] does not exist"),
        "{err}"
    );
    // An insert of an existing entity in the middle of a run of 300.
    let mut inserts: Vec<_> = (1000..1300).map(|i| insert(token(&id(i), &[]))).collect();
    inserts[200] = insert(token(&id(500), &[]));
    let err = format!(
        "{:#}",
        d.transact_block(ptr(3), 0, block(inserts)).unwrap_err()
    );
    assert!(err.contains("Token[t0500] already exists"), "{err}");
    assert_eq!(supply(450, None), Some(big(450)));
    assert_eq!(d.find(&token_key(&id(1000)), None).unwrap(), None);
    assert_eq!(d.status().unwrap().head, Some(ptr(2)));
}

fn survives_a_restart(backend: Backend) {
    let db = TestDb::new(backend);
    {
        let store = db.open();
        let d = store.deployment("test", schema()).unwrap();
        d.transact_block(ptr(7), 70, block(vec![insert(token("a", &[]))]))
            .unwrap();
    }
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    let status = d.status().unwrap();
    assert_eq!(
        (status.head, status.head_timestamp),
        (Some(ptr(7)), Some(70))
    );
    assert_eq!(
        d.find(&token_key("a"), None).unwrap(),
        Some(token("a", &[]))
    );
    d.transact_block(ptr(8), 80, block(vec![insert(token("b", &[]))]))
        .unwrap();
    assert_eq!(query_ids(&d, vec![]), ["a", "b"]);
}

fn deferred_blocks_commit_together_on_flush(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    d.transact_block_deferred(ptr(1), 10, block(vec![insert(token("a", &[]))]))
        .unwrap();
    d.transact_block_deferred(ptr(2), 20, block(vec![insert(token("b", &[]))]))
        .unwrap();
    // Indexing reads see deferred blocks; queries and the status do not, yet.
    assert_eq!(d.get(&token_key("b")).unwrap(), Some(token("b", &[])));
    assert_eq!(d.status().unwrap().head, None);
    assert!(query_ids(&d, vec![]).is_empty());
    // A block that fails is undone alone.
    let err = d
        .transact_block_deferred(ptr(2), 30, block(vec![insert(token("c", &[]))]))
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("does not follow the head"),
        "{err:#}"
    );
    d.flush().unwrap();
    assert_eq!(d.status().unwrap().head, Some(ptr(2)));
    assert_eq!(query_ids(&d, vec![]), ["a", "b"]);
    // Dropping the store with deferred blocks loses them whole.
    d.transact_block_deferred(ptr(3), 30, block(vec![insert(token("c", &[]))]))
        .unwrap();
    drop(d);
    drop(store);
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    assert_eq!(d.status().unwrap().head, Some(ptr(2)));
    assert_eq!(query_ids(&d, vec![]), ["a", "b"]);
}

/// PostgreSQL commits a long run of deferred blocks every 100 blocks (it keeps every version
/// of a row updated in an open transaction); SQLite waits for `flush`.
fn long_runs_of_deferred_blocks(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    for n in 1..=150 {
        d.transact_block_deferred(ptr(n), n, block(vec![])).unwrap();
    }
    let expected = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(ptr(100)),
    };
    assert_eq!(d.status().unwrap().head, expected);
    d.flush().unwrap();
    assert_eq!(d.status().unwrap().head, Some(ptr(150)));
}

fn poi_digests_are_versioned_by_block(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    let write = |poi: Vec<(&str, u8)>| BlockWrite {
        poi: poi
            .into_iter()
            .map(|(r, b)| (r.to_string(), vec![b]))
            .collect(),
        ..BlockWrite::default()
    };
    d.transact_block(ptr(3), 30, write(vec![("a", 1)])).unwrap();
    d.transact_block(ptr(5), 50, write(vec![("b", 2)])).unwrap();
    d.transact_block(ptr(7), 70, write(vec![("a", 3)])).unwrap();
    let at = |n| d.poi_digests(n).unwrap();
    let row = |r: &str, b: u8| (r.to_string(), vec![b]);
    assert_eq!(at(2), []);
    assert_eq!(at(4), [row("a", 1)]);
    assert_eq!(at(6), [row("a", 1), row("b", 2)]);
    assert_eq!(at(7), [row("a", 3), row("b", 2)]);
    d.revert_to(ptr(5), 50).unwrap();
    assert_eq!(at(9), [row("a", 1), row("b", 2)]);
}

/// Pruning deletes exactly the history no block from the new earliest block on can see, keeps
/// the current state, proofs of indexing and immutable entities, persists the earliest block,
/// and makes reverts before it an error.
fn prune_keeps_the_state_from_the_earliest_block_on(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    let transfer = EntityModification::Insert {
        key: key("Transfer", Id::Int8(1)),
        data: entity(&[
            ("id", Value::Int8(1)),
            ("from", Value::Bytes(vec![1])),
            ("value", big(1)),
        ]),
    };
    for n in 1..=10u64 {
        let supply = token("a", &[("supply", big(n as i64))]);
        let mut modifications = vec![if n == 1 {
            insert(supply)
        } else {
            EntityModification::Overwrite {
                key: token_key("a"),
                data: supply,
            }
        }];
        match n {
            1 => modifications.push(insert(token("b", &[]))),
            3 => modifications.push(transfer.clone()),
            5 => modifications.push(EntityModification::Remove {
                key: token_key("b"),
            }),
            _ => {}
        }
        let poi = match n {
            1 | 4 | 7 => vec![("r".to_string(), vec![n as u8])],
            _ => vec![],
        };
        let write = BlockWrite {
            modifications,
            poi,
            ..BlockWrite::default()
        };
        d.transact_block(ptr(n), n * 10, write).unwrap();
    }
    let supply = |at: u64| {
        d.find(&token_key("a"), Some(at))
            .unwrap()
            .map(|e| e["supply"].clone())
    };
    let poi_before: Vec<_> = (6..=10).map(|n| d.poi_digests(n).unwrap()).collect();
    assert_eq!(supply(5), Some(big(5)));

    let report = d.prune(6).unwrap();
    // a's versions [1,2) .. [5,6) and b's [1,5).
    assert_eq!(report.versions, 6);
    assert_eq!(d.status().unwrap().earliest_block, 6);
    assert_eq!(supply(5), None, "history before block 6 is gone");
    for n in 6..=10 {
        assert_eq!(supply(n), Some(big(n as i64)));
    }
    assert_eq!(d.find(&token_key("b"), Some(6)).unwrap(), None);
    assert!(d
        .find(&key("Transfer", Id::Int8(1)), None)
        .unwrap()
        .is_some());
    let poi_after: Vec<_> = (6..=10).map(|n| d.poi_digests(n).unwrap()).collect();
    assert_eq!(poi_after, poi_before);
    assert_eq!(d.recent_blocks(100).unwrap().len(), 5);

    // Pruning less than before does nothing; beyond the head is refused.
    assert_eq!(d.prune(3).unwrap(), crate::PruneReport::default());
    let err = format!("{:#}", d.prune(11).unwrap_err());
    assert!(err.contains("after the head"), "{err}");

    // Reverts may go back to the earliest block, not before it.
    let err = format!("{:#}", d.revert_to(ptr(5), 50).unwrap_err());
    assert!(err.contains("history before block 6 was pruned"), "{err}");
    d.revert_to(ptr(7), 70).unwrap();
    assert_eq!(supply(7), Some(big(7)));
    assert_eq!(
        d.find(&token_key("a"), None).unwrap().unwrap()["supply"],
        big(7)
    );
    drop(d);
    drop(store);
    let reopened = db.open().deployment("test", schema()).unwrap();
    assert_eq!(reopened.status().unwrap().earliest_block, 6);
}

fn recent_blocks_follow_commits_and_reverts(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("test", schema()).unwrap();
    for n in [3, 5, 9] {
        d.transact_block(ptr(n), n * 10, block(vec![])).unwrap();
    }
    assert_eq!(
        d.recent_blocks(10).unwrap(),
        [(ptr(9), 90), (ptr(5), 50), (ptr(3), 30)]
    );
    assert_eq!(d.recent_blocks(1).unwrap(), [(ptr(9), 90)]);
    assert_eq!(d.block_by_hash(&ptr(5).hash).unwrap(), Some((ptr(5), 50)));
    assert_eq!(d.block_by_hash(&ptr(4).hash).unwrap(), None);
    d.revert_to(ptr(5), 50).unwrap();
    assert_eq!(d.recent_blocks(10).unwrap(), [(ptr(5), 50), (ptr(3), 30)]);
    assert_eq!(d.block_by_hash(&ptr(9).hash).unwrap(), None, "reverted");
    d.prune(5).unwrap();
    assert_eq!(d.block_by_hash(&ptr(3).hash).unwrap(), None, "pruned");
    assert_eq!(d.block_by_hash(&ptr(5).hash).unwrap(), Some((ptr(5), 50)));
}

fn reopens_a_deployment_with_its_stored_schema(backend: Backend) {
    let db = TestDb::new(backend);
    {
        let store = db.open();
        let d = store.deployment("test", schema()).unwrap();
        d.transact_block(ptr(7), 70, block(vec![insert(token("a", &[]))]))
            .unwrap();
    }
    let store = db.open();
    let d = store.open_deployment("test").unwrap();
    assert_eq!(d.schema().as_ref(), schema().as_ref());
    assert_eq!(
        d.find(&token_key("a"), None).unwrap(),
        Some(token("a", &[]))
    );
    let err = store.open_deployment("nope").unwrap_err().to_string();
    assert!(err.contains("no subgraph named `nope`"), "{err}");
}

/// Everything observable about a deployment, for comparing states.
fn snapshot(d: &Deployment) -> (Vec<Entity>, Vec<Entity>, Vec<StoredDataSource>, String) {
    let all = |entity_type: &str| {
        let mut q = tokens(vec![]);
        q.entity_type = entity_type.into();
        d.query(&q).unwrap()
    };
    (
        all("Token"),
        all("Transfer"),
        d.data_sources().unwrap(),
        format!("{:?}", d.status().unwrap()),
    )
}

fn revert_restores_the_earlier_state_exactly(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let account = key("Account", Id::Bytes(vec![1]));
    let transfer = |id: i64| EntityModification::Insert {
        key: key("Transfer", Id::Int8(id)),
        data: entity(&[
            ("id", Value::Int8(id)),
            ("from", Value::Bytes(vec![1])),
            ("value", big(id)),
        ]),
    };
    let data_source = |n: u64| StoredDataSource {
        template: "Pair".into(),
        params: vec![format!("0x{n:040x}")],
        context: Some(entity(&[("n", Value::Int(n as i32))])),
        creation_block: n,
        causality_region: 0,
        done_at: None,
    };
    let mut write = block(vec![
        insert(token("a", &[("supply", big(1))])),
        insert(token("b", &[])),
        EntityModification::Insert {
            key: account.clone(),
            data: entity(&[("id", Value::Bytes(vec![1])), ("balance", big(0))]),
        },
        transfer(1),
    ]);
    write.data_sources.push(data_source(1));
    d.transact_block(ptr(1), 10, write).unwrap();
    d.transact_block(
        ptr(2),
        20,
        block(vec![EntityModification::Overwrite {
            key: token_key("a"),
            data: token("a", &[("supply", big(2))]),
        }]),
    )
    .unwrap();
    let before = snapshot(&d);
    let at_2 = d.query(&EntityQuery {
        block: Some(2),
        ..tokens(vec![])
    });

    let mut write = block(vec![
        EntityModification::Overwrite {
            key: token_key("a"),
            data: token("a", &[("supply", big(3))]),
        },
        EntityModification::Remove {
            key: token_key("b"),
        },
        insert(token("c", &[])),
        transfer(2),
    ]);
    write.data_sources.push(data_source(3));
    write.failure = Some(SubgraphFailure {
        block: ptr(3),
        handler: Some("handleSwap".into()),
        message: "boom".into(),
        fatal: true,
    });
    d.transact_block(ptr(3), 30, write).unwrap();
    d.transact_block(
        ptr(4),
        40,
        block(vec![EntityModification::Overwrite {
            key: token_key("a"),
            data: token("a", &[("supply", big(4))]),
        }]),
    )
    .unwrap();
    assert_ne!(snapshot(&d), before);
    assert!(d.status().unwrap().failure.is_some());

    d.revert_to(ptr(2), 20).unwrap();
    assert_eq!(snapshot(&d), before);
    assert_eq!(
        d.query(&EntityQuery {
            block: Some(2),
            ..tokens(vec![])
        })
        .unwrap(),
        at_2.unwrap()
    );
    assert_eq!(
        d.find(&token_key("a"), Some(1)).unwrap().unwrap()["supply"],
        big(1)
    );

    // Indexing continues from the reverted head on a different chain.
    d.transact_block(ptr(3), 31, block(vec![insert(token("d", &[]))]))
        .unwrap();
    assert_eq!(query_ids(&d, vec![]), ["a", "b", "d"]);
    assert!(d.revert_to(ptr(9), 0).is_err(), "cannot revert forward");
}

fn queries_see_the_state_at_a_block(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    d.transact_block(
        ptr(1),
        0,
        block(vec![insert(token("a", &[("supply", big(1))]))]),
    )
    .unwrap();
    d.transact_block(
        ptr(2),
        0,
        block(vec![insert(token("b", &[("supply", big(5))]))]),
    )
    .unwrap();
    d.transact_block(
        ptr(3),
        0,
        block(vec![
            EntityModification::Overwrite {
                key: token_key("a"),
                data: token("a", &[("supply", big(10))]),
            },
            EntityModification::Remove {
                key: token_key("b"),
            },
        ]),
    )
    .unwrap();
    let at = |block: Option<u64>, filters: Vec<Filter>| {
        ids(&d
            .query(&EntityQuery {
                block,
                ..tokens(filters)
            })
            .unwrap())
    };
    let rich = || vec![Filter::GreaterThan("supply".into(), big(3))];
    assert_eq!(at(Some(0), vec![]), Vec::<String>::new());
    assert_eq!(at(Some(1), vec![]), ["a"]);
    assert_eq!(at(Some(2), vec![]), ["a", "b"]);
    assert_eq!(at(Some(2), rich()), ["b"]);
    assert_eq!(at(Some(3), rich()), ["a"]);
    assert_eq!(at(None, rich()), ["a"]);
}

/// Tokens `t0`..`t4` with a spread of values for the filter tests.
fn filter_fixture(backend: Backend) -> (TestDb, Store, Deployment) {
    let (dir, store, d) = setup(backend);
    let rows = vec![
        token(
            "t0",
            &[
                ("supply", big(-5)),
                ("decimals", Value::Int(6)),
                ("kind", text("Alpha")),
                ("tags", Value::List(vec![text("a"), text("b")])),
                ("data", Value::Bytes(vec![1, 2, 3])),
                ("owner", Value::Bytes(vec![0xaa])),
                ("active", Value::Bool(true)),
            ],
        ),
        token(
            "t1",
            &[
                ("supply", big(9)),
                ("decimals", Value::Int(18)),
                ("kind", text("Beta")),
                ("tags", Value::List(vec![text("b")])),
                ("data", Value::Bytes(vec![9, 9])),
                ("owner", Value::Bytes(vec![0xbb])),
                ("active", Value::Bool(false)),
            ],
        ),
        token(
            "t2",
            &[
                ("supply", big(10)),
                ("price", dec("0.5")),
                ("tags", Value::List(vec![])),
                ("friends", Value::List(vec![Value::Bytes(vec![0xaa])])),
            ],
        ),
        token(
            "t3",
            &[("price", dec("1")), ("amounts", Value::List(vec![big(7)]))],
        ),
        entity(&[("id", text("t4")), ("name", text("Wrapped_Ether 100%"))]),
    ];
    d.transact_block(ptr(1), 0, block(rows.into_iter().map(insert).collect()))
        .unwrap();
    (dir, store, d)
}

fn every_filter_operator(backend: Backend) {
    let (_dir, _store, d) = filter_fixture(backend);
    let s = |v: &str| v.to_string();
    let q = |f: Filter| query_ids(&d, vec![f]);
    use Filter::*;

    assert_eq!(q(Equal(s("supply"), big(9))), ["t1"]);
    assert_eq!(q(Equal(s("supply"), Value::Null)), ["t3", "t4"]);
    assert_eq!(
        q(Not(s("supply"), big(9))),
        ["t0", "t2"],
        "nulls never match `not`"
    );
    assert_eq!(q(Not(s("supply"), Value::Null)), ["t0", "t1", "t2"]);
    assert_eq!(q(GreaterThan(s("supply"), big(9))), ["t2"]);
    assert_eq!(q(GreaterOrEqual(s("supply"), big(9))), ["t1", "t2"]);
    assert_eq!(q(LessThan(s("supply"), big(9))), ["t0"]);
    assert_eq!(q(LessOrEqual(s("supply"), big(9))), ["t0", "t1"]);
    // Query layers may pass numbers as strings; BigDecimal fields compare numerically.
    assert_eq!(q(GreaterThan(s("supply"), text("-6"))), ["t0", "t1", "t2"]);
    assert_eq!(q(LessThan(s("price"), dec("0.75"))), ["t2"]);
    assert_eq!(q(GreaterThan(s("decimals"), Value::Int(6))), ["t1"]);
    assert_eq!(q(Equal(s("active"), Value::Bool(false))), ["t1"]);

    assert_eq!(q(In(s("supply"), vec![big(9), big(10)])), ["t1", "t2"]);
    assert_eq!(q(In(s("supply"), vec![])), Vec::<String>::new());
    assert_eq!(
        q(In(s("supply"), vec![big(9), Value::Null])),
        ["t1", "t3", "t4"]
    );
    assert_eq!(q(NotIn(s("supply"), vec![big(9)])), ["t0", "t2"]);
    assert_eq!(q(NotIn(s("supply"), vec![])), Vec::<String>::new());
    assert_eq!(q(In(s("kind"), vec![text("Beta")])), ["t1"]);
    assert_eq!(q(In(s("id"), vec![text("t4"), text("t0")])), ["t0", "t4"]);

    // References compare ids; Bytes accept 0x strings.
    assert_eq!(q(Equal(s("owner"), Value::Bytes(vec![0xaa]))), ["t0"]);
    assert_eq!(q(Equal(s("owner"), text("0xbb"))), ["t1"]);
    assert_eq!(
        q(GreaterThan(s("data"), Value::Bytes(vec![1, 2]))),
        ["t0", "t1"]
    );

    // Lists.
    assert_eq!(
        q(Contains(s("tags"), Value::List(vec![text("b")]))),
        ["t0", "t1"]
    );
    assert_eq!(
        q(Contains(s("tags"), Value::List(vec![text("a"), text("b")]))),
        ["t0"]
    );
    assert_eq!(q(Contains(s("tags"), text("a"))), ["t0"]);
    assert_eq!(q(Contains(s("amounts"), big(7))), ["t3"]);
    assert_eq!(q(Contains(s("friends"), text("0xaa"))), ["t2"]);
    assert_eq!(
        q(NotContains(s("tags"), Value::List(vec![text("a")]))),
        ["t1", "t2"]
    );
    assert_eq!(q(Equal(s("tags"), Value::List(vec![text("b")]))), ["t1"]);
    assert_eq!(q(Not(s("tags"), Value::List(vec![]))), ["t0", "t1"]);

    // Bytes contain a byte string.
    assert_eq!(q(Contains(s("data"), Value::Bytes(vec![2, 3]))), ["t0"]);
    assert_eq!(q(NotContains(s("data"), Value::Bytes(vec![2, 3]))), ["t1"]);

    // Strings, with graph-node's LIKE pattern semantics.
    let contains = |sub: &str, ci: bool, neg: bool| StringContains {
        field: s("name"),
        substring: s(sub),
        case_insensitive: ci,
        negated: neg,
    };
    assert_eq!(
        q(contains("oken t", false, false)),
        ["t0", "t1", "t2", "t3"]
    );
    assert_eq!(q(contains("TOKEN", false, false)), Vec::<String>::new());
    assert_eq!(q(contains("TOKEN", true, false)), ["t0", "t1", "t2", "t3"]);
    assert_eq!(q(contains("token", true, true)), ["t4"]);
    assert_eq!(
        q(contains("d\\_E", false, false)),
        ["t4"],
        "escaped `_` is literal"
    );
    assert_eq!(q(contains("n\\_t", false, false)), Vec::<String>::new());
    // As in graph-node, a substring with a `%` at either end is used as the whole pattern.
    assert_eq!(q(contains("%100\\%", false, false)), ["t4"]);
    assert_eq!(q(contains("100\\%", false, false)), Vec::<String>::new());
    assert_eq!(
        q(contains("d_E", false, false)),
        ["t4"],
        "`_` is a wildcard"
    );
    assert_eq!(
        q(contains("*", false, false)),
        Vec::<String>::new(),
        "`*` is literal"
    );
    let starts = |p: &str, ci: bool, neg: bool| StartsWith {
        field: s("name"),
        prefix: s(p),
        case_insensitive: ci,
        negated: neg,
    };
    assert_eq!(q(starts("wrapped", true, false)), ["t4"]);
    assert_eq!(q(starts("wrapped", false, false)), Vec::<String>::new());
    assert_eq!(q(starts("token", false, true)), ["t4"]);
    let ends = |p: &str, ci: bool, neg: bool| EndsWith {
        field: s("name"),
        suffix: s(p),
        case_insensitive: ci,
        negated: neg,
    };
    assert_eq!(q(ends("t3", false, false)), ["t3"]);
    assert_eq!(q(ends("T3", true, true)), ["t0", "t1", "t2", "t4"]);

    // Boolean combinations.
    assert_eq!(
        q(Or(vec![
            Equal(s("supply"), big(9)),
            Equal(s("price"), dec("1"))
        ])),
        ["t1", "t3"]
    );
    assert_eq!(
        q(And(vec![
            GreaterThan(s("supply"), big(0)),
            LessThan(s("supply"), big(10))
        ])),
        ["t1"]
    );
    assert_eq!(q(Or(vec![])), Vec::<String>::new());
    assert_eq!(q(And(vec![])).len(), 5);
    assert_eq!(
        query_ids(
            &d,
            vec![
                GreaterThan(s("supply"), big(0)),
                Equal(s("kind"), text("Beta"))
            ]
        ),
        ["t1"]
    );
}

fn orders_and_paginates(backend: Backend) {
    let (_dir, _store, d) = filter_fixture(backend);
    let ordered = |field: &str, direction, first, skip| {
        ids(&d
            .query(&EntityQuery {
                order_by: Some(field.into()),
                order_direction: direction,
                first,
                skip,
                ..tokens(vec![])
            })
            .unwrap())
    };
    use OrderDirection::*;
    // Nulls last ascending and first descending, as in Postgres; `id` breaks ties.
    assert_eq!(
        ordered("supply", Ascending, 100, 0),
        ["t0", "t1", "t2", "t3", "t4"]
    );
    assert_eq!(
        ordered("supply", Descending, 100, 0),
        ["t4", "t3", "t2", "t1", "t0"]
    );
    assert_eq!(ordered("supply", Ascending, 2, 1), ["t1", "t2"]);
    assert_eq!(ordered("id", Descending, 2, 0), ["t4", "t3"]);
    assert_eq!(ordered("data", Ascending, 2, 0), ["t0", "t1"]);
    assert_eq!(
        ordered("name", Ascending, 1, 0),
        ["t4"],
        "bytewise: `W` < `t`"
    );
}

fn big_numbers_sort_numerically_in_sql(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let mut rng = Rng::new(42);
    let mut values = Vec::new();
    let mut mods = Vec::new();
    for i in 0..400 {
        let supply = rng.bigint();
        let price = rng.bigdecimal();
        values.push((format!("t{i:03}"), supply.clone(), price.clone()));
        mods.push(insert(token(
            &format!("t{i:03}"),
            &[
                ("supply", Value::BigInt(supply)),
                ("price", Value::BigDecimal(price)),
            ],
        )));
    }
    // Fixed extremes, so negatives, zero and huge magnitudes are always present.
    for (i, (s, p)) in [("0", "0"), ("-1", "-0.000001"), ("10", "10"), ("9", "9.99")]
        .iter()
        .enumerate()
    {
        let (supply, price): (BigInt, BigDecimal) = (s.parse().unwrap(), p.parse().unwrap());
        values.push((format!("x{i}"), supply.clone(), price.clone()));
        mods.push(insert(token(
            &format!("x{i}"),
            &[
                ("supply", Value::BigInt(supply)),
                ("price", Value::BigDecimal(price)),
            ],
        )));
    }
    let huge: BigInt = format!("1{}", "0".repeat(5000)).parse().unwrap();
    for (i, n) in [huge.clone(), BigInt::zero().minus(&huge)]
        .into_iter()
        .enumerate()
    {
        values.push((format!("y{i}"), n.clone(), BigDecimal::from(n.clone())));
        mods.push(insert(token(
            &format!("y{i}"),
            &[
                ("supply", Value::BigInt(n.clone())),
                ("price", Value::BigDecimal(BigDecimal::from(n))),
            ],
        )));
    }
    d.transact_block(ptr(1), 0, block(mods)).unwrap();

    let sql_order = |field: &str, direction| {
        ids(&d
            .query(&EntityQuery {
                order_by: Some(field.into()),
                order_direction: direction,
                first: 10_000,
                ..tokens(vec![])
            })
            .unwrap())
    };
    let mut by_supply = values.clone();
    by_supply.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let expected: Vec<String> = by_supply.iter().map(|v| v.0.clone()).collect();
    assert_eq!(sql_order("supply", OrderDirection::Ascending), expected);

    let mut by_price = values.clone();
    by_price.sort_by(|a, b| b.2.cmp(&a.2).then(b.0.cmp(&a.0)));
    let expected: Vec<String> = by_price.iter().map(|v| v.0.clone()).collect();
    assert_eq!(sql_order("price", OrderDirection::Descending), expected);

    // Comparisons agree with `Ord` too, and values read back exactly.
    let pivot = values[17].1.clone();
    let mut expected: Vec<String> = values
        .iter()
        .filter(|v| v.1 > pivot)
        .map(|v| v.0.clone())
        .collect();
    expected.sort();
    assert_eq!(
        query_ids(
            &d,
            vec![Filter::GreaterThan("supply".into(), Value::BigInt(pivot))]
        ),
        expected
    );
    for (id, supply, price) in &values {
        let e = d.find(&token_key(id), None).unwrap().unwrap();
        assert_eq!(e["supply"], Value::BigInt(supply.clone()));
        assert_eq!(e["price"], Value::BigDecimal(price.clone()));
    }
}

fn bytes_and_int8_ids(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let account = |id: &[u8], balance: i64| EntityModification::Insert {
        key: key("Account", Id::Bytes(id.to_vec())),
        data: entity(&[("id", Value::Bytes(id.to_vec())), ("balance", big(balance))]),
    };
    let transfer = EntityModification::Insert {
        key: key("Transfer", Id::Int8(-3)),
        data: entity(&[
            ("id", Value::Int8(-3)),
            ("from", Value::Bytes(vec![0xff])),
            ("value", big(1)),
        ]),
    };
    d.transact_block(
        ptr(1),
        0,
        block(vec![
            account(&[0xff], 1),
            account(&[0x00, 0x01], 2),
            account(&[0x10], 3),
            transfer,
        ]),
    )
    .unwrap();
    let found = d
        .find(&key("Account", Id::Bytes(vec![0x10])), None)
        .unwrap()
        .unwrap();
    assert_eq!(found["balance"], big(3));
    let mut q = tokens(vec![Filter::In(
        "id".into(),
        vec![text("0xff"), Value::Bytes(vec![0, 1])],
    )]);
    q.entity_type = "Account".into();
    assert_eq!(
        ids(&d.query(&q).unwrap()),
        ["0x0001", "0xff"],
        "bytes order"
    );
    let transfer = d
        .find(&key("Transfer", Id::Int8(-3)), None)
        .unwrap()
        .unwrap();
    assert_eq!(transfer["id"], Value::Int8(-3));

    // A key of the wrong id type is an error, not a silent miss.
    assert!(d
        .find(&key("Account", Id::String("0x10".into())), None)
        .is_err());
}

fn immutable_types_allow_only_inserts(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let k = key("Transfer", Id::Int8(1));
    let data = entity(&[
        ("id", Value::Int8(1)),
        ("from", Value::Bytes(vec![1])),
        ("value", big(1)),
    ]);
    d.transact_block(
        ptr(1),
        0,
        block(vec![EntityModification::Insert {
            key: k.clone(),
            data: data.clone(),
        }]),
    )
    .unwrap();
    let err = format!(
        "{:#}",
        d.transact_block(
            ptr(2),
            0,
            block(vec![EntityModification::Remove { key: k.clone() }])
        )
        .unwrap_err()
    );
    assert!(err.contains("immutable"), "{err}");
    let err = format!(
        "{:#}",
        d.transact_block(
            ptr(2),
            0,
            block(vec![EntityModification::Insert {
                key: k.clone(),
                data
            }])
        )
        .unwrap_err()
    );
    assert!(err.contains("already exists"), "{err}");
    d.revert_to(ptr(0), 0).unwrap();
    assert_eq!(d.find(&k, None).unwrap(), None);
}

fn refuses_a_different_schema(backend: Backend) {
    let (_dir, store, _d) = setup(backend);
    let changed = Arc::new(Schema::parse(&SDL.replace("decimals: Int", "decimals: Int8")).unwrap());
    let err = format!(
        "{:#}",
        store.deployment("test", changed.clone()).unwrap_err()
    );
    assert!(
        err.contains("different schema") && err.contains("--name") && err.contains("decimals"),
        "{err}"
    );
    // The same schema reopens; another name takes the new schema.
    store.deployment("test", schema()).unwrap();
    store.deployment("other", changed).unwrap();
    assert_eq!(store.deployment_names().unwrap(), ["other", "test"]);
}

fn deployments_in_one_file_are_separate(backend: Backend) {
    let (_dir, store, a) = setup(backend);
    let b = store.deployment("b", schema()).unwrap();
    a.transact_block(ptr(5), 0, block(vec![insert(token("a", &[]))]))
        .unwrap();
    b.transact_block(ptr(1), 0, block(vec![insert(token("b", &[]))]))
        .unwrap();
    assert_eq!(query_ids(&a, vec![]), ["a"]);
    assert_eq!(query_ids(&b, vec![]), ["b"]);
    assert_eq!(a.status().unwrap().head, Some(ptr(5)));
    assert_eq!(b.status().unwrap().head, Some(ptr(1)));
    b.revert_to(ptr(0), 0).unwrap();
    assert_eq!(query_ids(&a, vec![]), ["a"]);
    assert!(query_ids(&b, vec![]).is_empty());
}

/// A block that fails to apply leaves the database as it was: no partial write, no open
/// transaction (another deployment of the file can start one), and the next block commits.
fn a_failed_block_leaves_nothing_open(backend: Backend) {
    let (_dir, store, a) = setup(backend);
    a.transact_block(ptr(1), 0, block(vec![insert(token("a", &[]))]))
        .unwrap();
    // Inserting an entity that exists breaks the table's uniqueness: the block fails.
    let twice = block(vec![insert(token("b", &[])), insert(token("a", &[]))]);
    assert!(a.transact_block(ptr(2), 0, twice).is_err());
    let b = store.deployment("b", schema()).unwrap();
    b.transact_block(ptr(1), 0, block(vec![insert(token("b", &[]))]))
        .unwrap();
    assert_eq!(query_ids(&a, vec![]), ["a"]);
    assert_eq!(a.status().unwrap().head, Some(ptr(1)));
    a.transact_block(ptr(2), 0, block(vec![insert(token("c", &[]))]))
        .unwrap();
    assert_eq!(query_ids(&a, vec![]), ["a", "c"]);
    assert_eq!(query_ids(&b, vec![]), ["b"]);
}

fn data_sources_keep_creation_order(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let ds = |template: &str, block: u64, context: Option<Entity>| StoredDataSource {
        template: template.into(),
        params: vec!["0xabc".into()],
        context,
        creation_block: block,
        causality_region: 0,
        done_at: None,
    };
    let first = vec![ds("B", 1, None), ds("A", 1, Some(entity(&[("x", big(1))])))];
    d.transact_block(
        ptr(1),
        0,
        BlockWrite {
            data_sources: first.clone(),
            ..BlockWrite::default()
        },
    )
    .unwrap();
    assert_eq!(d.data_sources().unwrap(), first);
    let late = BlockWrite {
        data_sources: vec![ds("C", 3, None)],
        ..BlockWrite::default()
    };
    assert!(
        d.transact_block(ptr(2), 0, late.clone()).is_err(),
        "created after its block"
    );
    d.transact_block(ptr(3), 0, late).unwrap();
    assert_eq!(d.data_sources().unwrap().len(), 3);
    d.revert_to(ptr(2), 0).unwrap();
    assert_eq!(d.data_sources().unwrap(), first);
}

/// A file data source of causality region `region`, created at `block`.
fn file_data_source(region: i64, block: u64) -> StoredDataSource {
    StoredDataSource {
        template: "TokenFile".into(),
        params: vec![format!("bafkfile{region}")],
        context: None,
        creation_block: block,
        causality_region: region,
        done_at: None,
    }
}

fn file_data_sources_write_in_their_own_region(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    d.transact_block(
        ptr(1),
        0,
        BlockWrite {
            modifications: vec![insert(token("onchain", &[]))],
            data_sources: vec![file_data_source(1, 1), file_data_source(2, 1)],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    d.transact_block(
        ptr(2),
        0,
        BlockWrite {
            file_entities: vec![(1, token_key("file"), token("file", &[("supply", big(7))]))],
            done_data_sources: vec![1],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    // Queries see every region; handlers (the entity reader) only the onchain one.
    assert_eq!(query_ids(&d, vec![]), ["file", "onchain"]);
    assert_eq!(
        d.find(&token_key("file"), None).unwrap().unwrap()["supply"],
        big(7)
    );
    assert!(d.get(&token_key("file")).unwrap().is_none());
    assert!(d.get(&token_key("onchain")).unwrap().is_some());
    let mut file = token("file2", &[]);
    file.insert("owner".into(), Value::Bytes(vec![1]));
    d.transact_block(
        ptr(3),
        0,
        BlockWrite {
            file_entities: vec![(2, token_key("file2"), file)],
            done_data_sources: vec![2],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    assert!(d
        .get_derived("Token", "owner", &Id::Bytes(vec![1]))
        .unwrap()
        .is_empty());
    let done: Vec<(i64, Option<u64>)> = d
        .data_sources()
        .unwrap()
        .iter()
        .map(|ds| (ds.causality_region, ds.done_at))
        .collect();
    assert_eq!(done, [(1, Some(2)), (2, Some(3))]);

    // An id taken in any region cannot be created again; a done data source is not done twice;
    // region 0 is not a file data source's.
    for (write, error) in [
        (
            BlockWrite {
                file_entities: vec![(2, token_key("onchain"), token("onchain", &[]))],
                ..BlockWrite::default()
            },
            "Token[onchain] already exists",
        ),
        (
            BlockWrite {
                done_data_sources: vec![1],
                ..BlockWrite::default()
            },
            "no waiting file data source has causality region 1",
        ),
        (
            BlockWrite {
                file_entities: vec![(0, token_key("x"), token("x", &[]))],
                ..BlockWrite::default()
            },
            "causality region 0 is not a file data source's",
        ),
    ] {
        let err = format!("{:#}", d.transact_block(ptr(4), 0, write).unwrap_err());
        assert!(err.contains(error), "{err}");
    }

    // A revert forgets the file entities written after the ancestor and makes their data
    // sources wait again.
    d.revert_to(ptr(2), 0).unwrap();
    assert_eq!(query_ids(&d, vec![]), ["file", "onchain"]);
    let done: Vec<Option<u64>> = d
        .data_sources()
        .unwrap()
        .iter()
        .map(|ds| ds.done_at)
        .collect();
    assert_eq!(done, [Some(2), None]);
    d.revert_to(ptr(1), 0).unwrap();
    assert_eq!(query_ids(&d, vec![]), ["onchain"]);
    assert_eq!(
        d.data_sources().unwrap(),
        [file_data_source(1, 1), file_data_source(2, 1)]
    );
}

fn the_entity_cache_runs_on_the_store(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let reader: Arc<dyn EntityReader> = Arc::new(d.clone());
    let mut cache = EntityCache::new(reader.clone(), schema());
    cache
        .set(token_key("a"), token("a", &[("supply", big(1))]))
        .unwrap();
    d.transact_block(ptr(1), 0, block(cache.into_modifications().unwrap()))
        .unwrap();

    let mut cache = EntityCache::new(reader.clone(), schema());
    cache
        .set(token_key("a"), entity(&[("supply", big(2))]))
        .unwrap();
    cache
        .set(token_key("b"), entity(&[("name", text("b"))]))
        .unwrap();
    let mods = cache.into_modifications().unwrap();
    assert!(matches!(
        &mods[..],
        [
            EntityModification::Overwrite { .. },
            EntityModification::Insert { .. }
        ]
    ));
    d.transact_block(ptr(2), 0, block(mods)).unwrap();

    // Unchanged data produces no modification at all.
    let mut cache = EntityCache::new(reader, schema());
    cache
        .set(token_key("a"), entity(&[("supply", big(2))]))
        .unwrap();
    assert!(cache.into_modifications().unwrap().is_empty());
    assert_eq!(
        d.find(&token_key("a"), None).unwrap().unwrap()["name"],
        text("token a")
    );
}

fn explains_bad_queries(backend: Backend) {
    let (_dir, _store, d) = setup(backend);
    let err_of = |q: EntityQuery| format!("{:#}", d.query(&q).unwrap_err());
    let mut q = tokens(vec![]);
    q.entity_type = "Nope".into();
    assert!(err_of(q).contains("unknown entity type `Nope`"));
    let mut q = tokens(vec![]);
    q.entity_type = "Named".into();
    assert!(err_of(q).contains("interface"));
    let err = err_of(tokens(vec![Filter::Equal("nope".into(), text("x"))]));
    assert!(err.contains("no stored field `nope`"), "{err}");
    let err = err_of(tokens(vec![Filter::Equal("supply".into(), text("abc"))]));
    assert!(err.contains("does not fit field `supply`"), "{err}");
    let err = err_of(tokens(vec![Filter::GreaterThan("tags".into(), text("a"))]));
    assert!(err.contains("list field"), "{err}");
    let err = err_of(tokens(vec![Filter::StartsWith {
        field: "supply".into(),
        prefix: "1".into(),
        case_insensitive: false,
        negated: false,
    }]));
    assert!(err.contains("only supported on String"), "{err}");
    let mut q = tokens(vec![]);
    q.order_by = Some("tags".into());
    assert!(err_of(q).contains("cannot order by list field"));
}

#[test]
fn queries_do_not_wait_for_an_open_write() {
    let (_dir, store, d) = setup(Backend::Sqlite);
    let Store::Sqlite(store) = store else {
        unreachable!()
    };
    d.transact_block(ptr(1), 0, block(vec![insert(token("a", &[]))]))
        .unwrap();
    // Another writer holds the write lock with uncommitted changes.
    let other = rusqlite::Connection::open(store.path()).unwrap();
    other
        .execute_batch(
            "BEGIN IMMEDIATE; UPDATE deployments SET head_number = 99; DELETE FROM \"sgd1_token\";",
        )
        .unwrap();
    assert_eq!(query_ids(&d, vec![]), ["a"]);
    assert_eq!(d.status().unwrap().head, Some(ptr(1)));
    other.execute_batch("ROLLBACK").unwrap();
}

/// A field named `causalityRegion` is the schema's own: its snake-cased column is not the
/// bookkeeping region column, so it stores, reads and filters like any field, in every region.
fn a_field_named_causality_region_is_an_ordinary_field(backend: Backend) {
    let dir = TestDb::new(backend);
    let store = dir.open();
    let schema = Schema::parse(
        "type Doc @entity(immutable: true) { id: ID! causalityRegion: Int! }\n\
         type Note @entity(immutable: false) { id: ID! causalityRegion: BigInt }",
    )
    .unwrap();
    let d = store.deployment("regions", Arc::new(schema)).unwrap();
    let doc = |id: &str, region: i32| {
        entity(&[("id", text(id)), ("causalityRegion", Value::Int(region))])
    };
    let doc_key = |id: &str| key("Doc", Id::String(id.into()));
    d.transact_block(
        ptr(1),
        0,
        BlockWrite {
            modifications: vec![
                EntityModification::Insert {
                    key: doc_key("onchain"),
                    data: doc("onchain", 5),
                },
                EntityModification::Insert {
                    key: key("Note", Id::String("n".into())),
                    data: entity(&[("id", text("n")), ("causalityRegion", big(-3))]),
                },
            ],
            data_sources: vec![file_data_source(1, 1)],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    d.transact_block(
        ptr(2),
        0,
        BlockWrite {
            file_entities: vec![(1, doc_key("file"), doc("file", 0))],
            done_data_sources: vec![1],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    assert_eq!(d.get(&doc_key("onchain")).unwrap(), Some(doc("onchain", 5)));
    // The file data source's entity keeps its own value and stays out of handlers' sight.
    assert_eq!(d.get(&doc_key("file")).unwrap(), None);
    assert_eq!(
        d.find(&doc_key("file"), None).unwrap(),
        Some(doc("file", 0))
    );
    assert_eq!(
        d.find(&key("Note", Id::String("n".into())), None)
            .unwrap()
            .unwrap()["causalityRegion"],
        big(-3)
    );
    let docs = |filters: Vec<Filter>| {
        ids(&d
            .query(&EntityQuery {
                entity_type: "Doc".into(),
                ..tokens(filters)
            })
            .unwrap())
    };
    assert_eq!(docs(vec![]), ["file", "onchain"]);
    assert_eq!(
        docs(vec![Filter::Equal("causalityRegion".into(), Value::Int(0))]),
        ["file"]
    );
    assert_eq!(
        docs(vec![Filter::GreaterThan(
            "causalityRegion".into(),
            Value::Int(1)
        )]),
        ["onchain"]
    );
}

/// Each listed test, as a test per backend (`sqlite::name`, `postgres::name`).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(super::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name(super::Backend::Postgres)
            })*
        }
    };
}

mod aggregations;
mod child_filters;
mod fulltext;
mod graft;

on_both_backends!(
    writes_a_block_atomically_with_its_head,
    overwrites_and_removes_create_versions,
    large_blocks_are_written_in_batches,
    survives_a_restart,
    deferred_blocks_commit_together_on_flush,
    long_runs_of_deferred_blocks,
    poi_digests_are_versioned_by_block,
    prune_keeps_the_state_from_the_earliest_block_on,
    recent_blocks_follow_commits_and_reverts,
    reopens_a_deployment_with_its_stored_schema,
    revert_restores_the_earlier_state_exactly,
    queries_see_the_state_at_a_block,
    every_filter_operator,
    orders_and_paginates,
    big_numbers_sort_numerically_in_sql,
    bytes_and_int8_ids,
    immutable_types_allow_only_inserts,
    refuses_a_different_schema,
    deployments_in_one_file_are_separate,
    a_failed_block_leaves_nothing_open,
    data_sources_keep_creation_order,
    file_data_sources_write_in_their_own_region,
    a_field_named_causality_region_is_an_ordinary_field,
    the_entity_cache_runs_on_the_store,
    explains_bad_queries,
);

/// A database made by the previous layout version (no pruning) opens and gains the column.
#[test]
fn sqlite_layout_version_1_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE deployments (
               id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, schema TEXT NOT NULL,
               schema_sdl TEXT NOT NULL, head_number INTEGER, head_hash BLOB,
               head_timestamp INTEGER, failure_block_number INTEGER, failure_block_hash BLOB,
               failure_handler TEXT, failure_message TEXT, failure_fatal INTEGER);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(path.to_str().unwrap()).unwrap();
    let d = store.deployment("test", schema()).unwrap();
    d.transact_block(ptr(1), 10, block(vec![insert(token("a", &[]))]))
        .unwrap();
    assert_eq!(d.status().unwrap().earliest_block, 0);
    assert_eq!(d.prune(1).unwrap().versions, 0);
    assert_eq!(d.status().unwrap().earliest_block, 1);
}

/// A database of layout version 2 (no causality regions) opens, gains the columns with its
/// entities and data sources intact, and takes file data sources' writes.
#[test]
fn sqlite_layout_version_2_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        let store = Store::open(path.to_str().unwrap()).unwrap();
        let d = store.deployment("test", schema()).unwrap();
        d.transact_block(
            ptr(1),
            10,
            BlockWrite {
                modifications: vec![insert(token("a", &[]))],
                data_sources: vec![StoredDataSource {
                    template: "Pair".into(),
                    params: vec!["0xabc".into()],
                    context: None,
                    creation_block: 1,
                    causality_region: 0,
                    done_at: None,
                }],
                ..BlockWrite::default()
            },
        )
        .unwrap();
    }
    {
        // Back to what version 2 made.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'sgd1_*'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for table in &tables {
            conn.execute_batch(&format!(
                "ALTER TABLE \"{table}\" DROP COLUMN \"causality_region$\""
            ))
            .unwrap();
        }
        conn.execute_batch(
            "ALTER TABLE \"sgd1$data_sources\" DROP COLUMN causality_region;
             ALTER TABLE \"sgd1$data_sources\" DROP COLUMN done_at; PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store = Store::open(path.to_str().unwrap()).unwrap();
    let d = store.deployment("test", schema()).unwrap();
    assert_eq!(query_ids(&d, vec![]), ["a"]);
    assert!(d.get(&token_key("a")).unwrap().is_some());
    let stored = d.data_sources().unwrap();
    assert_eq!((stored[0].causality_region, stored[0].done_at), (0, None));
    d.transact_block(
        ptr(2),
        20,
        BlockWrite {
            data_sources: vec![file_data_source(1, 2)],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    d.transact_block(
        ptr(3),
        30,
        BlockWrite {
            file_entities: vec![(1, token_key("f"), token("f", &[]))],
            done_data_sources: vec![1],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    assert_eq!(query_ids(&d, vec![]), ["a", "f"]);
    assert!(d.get(&token_key("f")).unwrap().is_none());
}
