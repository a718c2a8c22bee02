//! `@fulltext` searches in the store, on both backends: stemming, prefixes, `&`, `|`, `!` and
//! `<->`, ranking (the cases where PostgreSQL's `ts_rank` and SQLite's `bm25` agree), filters
//! and pagination beside a search, time travel, reverts, pruning, and a deployment made before
//! the store kept searches.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_value::{Entity, EntityKey, Id, Value};

use super::{block, entity, ptr, text, Backend, TestDb};
use crate::{
    BlockWrite, DeploymentOrigin, EntityModification, EntityQuery, Filter, GraftBase,
    OrderDirection, QueryStore, WritableStore,
};

const SDL: &str = r#"
    type _Schema_
      @fulltext(name: "tokenSearch", language: en, algorithm: rank,
        include: [{ entity: "Token", fields: [{ name: "name" }, { name: "symbol" }] }])
      @fulltext(name: "noteSearch", language: simple, algorithm: proximityRank,
        include: [{ entity: "Note", fields: [{ name: "body" }] }])
    type Token @entity(immutable: false) {
      id: ID!
      name: String!
      symbol: String
      decimals: Int!
    }
    type Note @entity(immutable: true) { id: ID! body: String }
"#;

fn schema() -> Arc<Schema> {
    Arc::new(Schema::parse(SDL).unwrap())
}

fn token(id: &str, name: &str, symbol: Option<&str>, decimals: i32) -> EntityModification {
    let mut data = entity(&[
        ("id", text(id)),
        ("name", text(name)),
        ("decimals", Value::Int(decimals)),
    ]);
    if let Some(symbol) = symbol {
        data.insert("symbol".into(), text(symbol));
    }
    EntityModification::Insert {
        key: EntityKey {
            entity_type: "Token".into(),
            id: Id::String(id.into()),
        },
        data,
    }
}

fn overwrite(id: &str, name: &str) -> EntityModification {
    let EntityModification::Insert { key, data } = token(id, name, None, 18) else {
        unreachable!()
    };
    EntityModification::Overwrite { key, data }
}

fn note(id: &str, body: &str) -> EntityModification {
    EntityModification::Insert {
        key: EntityKey {
            entity_type: "Note".into(),
            id: Id::String(id.into()),
        },
        data: entity(&[("id", text(id)), ("body", text(body))]),
    }
}

/// A search as the GraphQL field runs it: the search filter, ordered by rank.
fn search(entity_type: &str, name: &str, text: &str) -> EntityQuery {
    EntityQuery {
        entity_type: entity_type.into(),
        filters: vec![Filter::Fulltext(name.into(), text.into())],
        order_by: Some(name.into()),
        order_direction: OrderDirection::Ascending,
        first: 100,
        skip: 0,
        block: None,
    }
}

fn ids(entities: Vec<Entity>) -> Vec<String> {
    entities.iter().map(|e| e["id"].to_string()).collect()
}

fn found(d: &impl QueryStore, text: &str) -> Vec<String> {
    ids(d.query(&search("Token", "tokenSearch", text)).unwrap())
}

/// The tokens of block 1.
fn tokens() -> Vec<EntityModification> {
    vec![
        token("a", "Running Shoes", Some("RUN"), 18),
        token("b", "Runner Token", None, 6),
        token("c", "Wrapped Ether", Some("WETH"), 18),
        token("d", "Uniswap", Some("UNI"), 18),
        token("e", "Unicorn", None, 0),
        // Three names of three words: ranks differ only by how often `apple` occurs.
        token("x1", "apple banana cherry", None, 18),
        token("x2", "apple apple cherry", None, 18),
        token("x3", "apple kiwi mango", None, 6),
    ]
}

fn searches_match_like_postgres(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("ft", schema()).unwrap();
    d.transact_block(ptr(1), 10, block(tokens())).unwrap();

    // English stemming: `running` and `runs` are `run`; `runner` is not.
    assert_eq!(found(&d, "run"), ["a"]);
    assert_eq!(found(&d, "runs"), ["a"]);
    assert_eq!(found(&d, "Runner"), ["b"]);
    assert_eq!(found(&d, "wrap & ether"), ["c"]);
    // Both fields are searched; case does not matter.
    assert_eq!(found(&d, "weth"), ["c"]);
    // Prefixes; `d` matches twice (`Uniswap`, `UNI`), so it ranks higher and comes last.
    assert_eq!(found(&d, "uni:*"), ["e", "d"]);
    assert_eq!(found(&d, "unicorn"), ["e"]);
    // OR, AND, NOT, parentheses, phrases.
    assert_eq!(found(&d, "unicorn | wrapped"), ["c", "e"]);
    assert_eq!(found(&d, "apple & banana"), ["x1"]);
    assert_eq!(found(&d, "(kiwi | banana) & cherry"), ["x1"]);
    assert_eq!(found(&d, "apple <-> cherry"), ["x2"]);
    assert_eq!(found(&d, "'apple cherry'"), ["x2"]);
    assert_eq!(found(&d, "nothing"), Vec::<String>::new());
    assert_eq!(found(&d, ""), Vec::<String>::new());
    // Ranked as graph-node ranks: ascending (the most occurrences last), ties by id.
    assert_eq!(found(&d, "apple"), ["x1", "x3", "x2"]);
    // With `!`, PostgreSQL's rank also counts the negated terms; SQLite's does not, so only
    // the matches agree.
    let mut not_banana = found(&d, "apple & !banana");
    not_banana.sort();
    assert_eq!(not_banana, ["x2", "x3"]);
    assert_eq!(found(&d, "!apple & !uni:* & !run"), ["b", "c"]);
    // Beside filters and pagination.
    let mut q = search("Token", "tokenSearch", "apple");
    q.filters
        .push(Filter::Equal("decimals".into(), Value::Int(18)));
    assert_eq!(ids(d.query(&q).unwrap()), ["x1", "x2"]);
    let mut q = search("Token", "tokenSearch", "apple");
    (q.first, q.skip) = (1, 1);
    assert_eq!(ids(d.query(&q).unwrap()), ["x3"]);
    // graph-node's error for text PostgreSQL cannot parse.
    let err = format!(
        "{:#}",
        d.query(&search("Token", "tokenSearch", "two words"))
            .unwrap_err()
    );
    assert!(
        err.contains("Invalid fulltext search query syntax")
            && err.contains("Search terms with spaces need to be enclosed in single quotes"),
        "{err}"
    );
    let err = format!("{:#}", d.query(&search("Token", "nope", "x")).unwrap_err());
    assert!(err.contains("no @fulltext search `nope`"), "{err}");

    // `simple` does not stem.
    d.transact_block(ptr(2), 20, block(vec![note("n1", "Running late")]))
        .unwrap();
    let notes = |text: &str| ids(d.query(&search("Note", "noteSearch", text)).unwrap());
    assert_eq!(notes("run"), Vec::<String>::new());
    assert_eq!(notes("running & late"), ["n1"]);
    // `proximityRank` (`ts_rank_cd`) over an immutable type: two covers rank above one.
    d.transact_block(
        ptr(3),
        30,
        block(vec![
            note("n2", "apple apple cherry"),
            note("n3", "apple kiwi mango"),
            note("n4", "apple banana cherry"),
        ]),
    )
    .unwrap();
    assert_eq!(notes("apple"), ["n3", "n4", "n2"]);
    assert_eq!(notes("apple <-> cherry | kiwi <-> mango"), ["n2", "n3"]);
}

fn searches_follow_versions_reverts_and_pruning(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store.deployment("ft", schema()).unwrap();
    d.transact_block(ptr(1), 10, block(tokens())).unwrap();
    d.transact_block(ptr(2), 20, block(vec![overwrite("x1", "durian")]))
        .unwrap();
    d.transact_block(
        ptr(3),
        30,
        BlockWrite {
            modifications: vec![EntityModification::Remove {
                key: EntityKey {
                    entity_type: "Token".into(),
                    id: Id::String("x3".into()),
                },
            }],
            ..BlockWrite::default()
        },
    )
    .unwrap();
    let at = |text: &str, block: Option<u64>| {
        let mut q = search("Token", "tokenSearch", text);
        q.block = block;
        ids(d.query(&q).unwrap())
    };
    // Each block sees its own versions' documents.
    assert_eq!(at("apple", Some(1)), ["x1", "x3", "x2"]);
    assert_eq!(at("apple", Some(2)), ["x3", "x2"]);
    assert_eq!(at("apple", None), ["x2"]);
    assert_eq!(at("durian", Some(1)), Vec::<String>::new());
    assert_eq!(at("durian", None), ["x1"]);

    d.revert_to(ptr(1), 10).unwrap();
    assert_eq!(at("apple", None), ["x1", "x3", "x2"]);
    assert_eq!(at("durian", None), Vec::<String>::new());

    // Again, then prune the history: the current documents stay searchable.
    d.transact_block(ptr(2), 20, block(vec![overwrite("x1", "durian")]))
        .unwrap();
    d.transact_block(ptr(3), 30, block(vec![overwrite("x1", "elderberry")]))
        .unwrap();
    assert!(d.prune(3).unwrap().versions > 0);
    assert_eq!(at("durian", None), Vec::<String>::new());
    assert_eq!(at("elderberry", None), ["x1"]);
    assert_eq!(at("elderberry", Some(3)), ["x1"]);
    assert_eq!(at("apple", None), ["x3", "x2"]);

    // A restart keeps the documents.
    drop(d);
    let d = db.open().deployment("ft", schema()).unwrap();
    assert_eq!(found(&d, "elderberry | durian"), ["x1"]);
    assert_eq!(found(&d, "cherry"), ["x2"]);
}

/// A graft of a deployment with a search copies the versions, and with them their documents
/// (SQLite's triggers fire on the copy; PostgreSQL computes the generated column).
fn grafts_copy_the_documents(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let base = store.deployment("base", schema()).unwrap();
    base.transact_block(ptr(1), 10, block(tokens())).unwrap();
    base.transact_block(ptr(2), 20, block(vec![overwrite("x1", "durian")]))
        .unwrap();
    base.transact_block(ptr(3), 30, block(vec![overwrite("x1", "elderberry")]))
        .unwrap();
    let origin = DeploymentOrigin {
        id: None,
        graft: Some(GraftBase {
            base: "base".into(),
            block: ptr(2),
            timestamp: 20,
            reorg_threshold: 1,
            templates: vec![],
        }),
    };
    let graft = store.deployment_from("graft", schema(), &origin).unwrap();
    assert_eq!(found(&graft, "durian"), ["x1"]);
    assert_eq!(found(&graft, "elderberry"), Vec::<String>::new());
    assert_eq!(found(&graft, "apple"), ["x3", "x2"]);
    let mut at_1 = search("Token", "tokenSearch", "apple");
    at_1.block = Some(1);
    assert_eq!(ids(graft.query(&at_1).unwrap()), ["x1", "x3", "x2"]);
    graft
        .transact_block(ptr(3), 30, block(vec![overwrite("x2", "fig")]))
        .unwrap();
    assert_eq!(found(&graft, "apple"), ["x3"]);
    assert_eq!(found(&graft, "fig"), ["x2"]);
}

on_both_backends!(
    searches_match_like_postgres,
    searches_follow_versions_reverts_and_pruning,
    deployment_without_searches_gains_them,
    grafts_copy_the_documents,
);

/// A deployment created before the store kept searches (its stored description lacks them, its
/// tables have no documents) gains them, with the documents of the rows it already has.
fn deployment_without_searches_gains_them(backend: Backend) {
    let db = TestDb::new(backend);
    {
        let d = db.open().deployment("ft", schema()).unwrap();
        d.transact_block(ptr(1), 10, block(tokens())).unwrap();
    }
    // Back to what the store made before: no search columns or FTS tables and triggers, no
    // `fulltext` lines in the description.
    let description = crate::sql::layout::describe_without_fulltexts(&schema());
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(&db.location).unwrap();
            for (table, search) in [("token", "token_search"), ("note", "note_search")] {
                conn.execute_batch(&format!(
                    "DROP TABLE \"sgd1_{table}${search}\";
                     DROP TRIGGER \"sgd1_{table}${search}$insert\";
                     DROP TRIGGER \"sgd1_{table}${search}$delete\";
                     DROP TRIGGER \"sgd1_{table}${search}$update\";"
                ))
                .unwrap();
            }
            conn.execute(
                "UPDATE deployments SET schema = ?1 WHERE name = 'ft'",
                [description],
            )
            .unwrap();
        }
        Backend::Postgres => {
            let mut client = ::postgres::Client::connect(&db.location, ::postgres::NoTls).unwrap();
            client
                .batch_execute(
                    "ALTER TABLE sgd1.token DROP COLUMN \"token_search$\";
                     ALTER TABLE sgd1.note DROP COLUMN \"note_search$\";",
                )
                .unwrap();
            client
                .execute(
                    "UPDATE sprig.deployments SET schema = $1 WHERE name = 'ft'",
                    &[&description],
                )
                .unwrap();
        }
    }
    let d = db.open().deployment("ft", schema()).unwrap();
    assert_eq!(found(&d, "apple"), ["x1", "x3", "x2"]);
    d.transact_block(ptr(2), 20, block(vec![overwrite("x1", "durian")]))
        .unwrap();
    assert_eq!(found(&d, "durian"), ["x1"]);
    // The next open finds the description it stored.
    drop(d);
    let d = db.open().deployment("ft", schema()).unwrap();
    assert_eq!(found(&d, "apple"), ["x3", "x2"]);
}
