//! graph-node's child filters (`owner_: { name: "alice" }`) on both backends: through a
//! reference, a list of references with each id type, and derived fields whose back field is a
//! reference or a list, at the query's block; and child sorting (`orderBy: owner__name`).

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_value::{Entity, Id, Value};

use super::{block, entity, key, ptr, text, Backend, TestDb};
use crate::{EntityModification, EntityQuery, Filter, OrderDirection, QueryStore, WritableStore};

const SDL: &str = r#"
    type Owner @entity(immutable: false) {
      id: Bytes!
      name: String!
      tokens: [Token!]! @derivedFrom(field: "owner")
      tagged: [Tag!]! @derivedFrom(field: "owners")
      favorites: [Token!]
      profile: Profile @derivedFrom(field: "owner")
    }
    type Profile @entity(immutable: false) {
      id: ID!
      owner: Owner!
      score: Int!
    }
    type Token @entity(immutable: false) {
      id: ID!
      symbol: String!
      owner: Owner!
      tags: [Tag!]!
    }
    type Tag @entity(immutable: false) {
      id: Int8!
      label: String!
      owners: [Owner!]!
    }
"#;

fn owner(id: u8, name: &str, favorites: &[&str]) -> (String, Id, Entity) {
    let mut data = entity(&[("id", Value::Bytes(vec![id])), ("name", text(name))]);
    if !favorites.is_empty() {
        data.insert(
            "favorites".into(),
            Value::List(favorites.iter().map(|f| text(f)).collect()),
        );
    }
    ("Owner".into(), Id::Bytes(vec![id]), data)
}

fn token(id: &str, symbol: &str, owner: u8, tags: &[i64]) -> (String, Id, Entity) {
    let data = entity(&[
        ("id", text(id)),
        ("symbol", text(symbol)),
        ("owner", Value::Bytes(vec![owner])),
        (
            "tags",
            Value::List(tags.iter().map(|t| Value::Int8(*t)).collect()),
        ),
    ]);
    ("Token".into(), Id::String(id.into()), data)
}

fn tag(id: i64, label: &str, owners: &[u8]) -> (String, Id, Entity) {
    let data = entity(&[
        ("id", Value::Int8(id)),
        ("label", text(label)),
        (
            "owners",
            Value::List(owners.iter().map(|o| Value::Bytes(vec![*o])).collect()),
        ),
    ]);
    ("Tag".into(), Id::Int8(id), data)
}

fn inserts(rows: Vec<(String, Id, Entity)>) -> Vec<EntityModification> {
    rows.into_iter()
        .map(|(ty, id, data)| EntityModification::Insert {
            key: key(&ty, id),
            data,
        })
        .collect()
}

fn child(field: &str, child_type: &str, filter: Filter) -> Filter {
    Filter::Child {
        field: field.into(),
        child_type: child_type.into(),
        filter: Box::new(filter),
    }
}

fn eq(field: &str, value: &str) -> Filter {
    Filter::Equal(field.into(), text(value))
}

fn child_filters_select_by_the_related_entity(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("children", Arc::new(Schema::parse(SDL).unwrap()))
        .unwrap();
    d.transact_block(
        ptr(1),
        1,
        block(inserts(vec![
            owner(1, "alice", &["b"]),
            owner(2, "bob", &["a", "c"]),
            owner(3, "carol", &[]),
            token("a", "AAA", 1, &[10]),
            token("b", "BBB", 2, &[10, 20]),
            token("c", "CCC", 2, &[]),
            tag(10, "x", &[1]),
            tag(20, "y", &[2, 3]),
        ])),
    )
    .unwrap();
    // Block 2: alice is renamed and tag 10 relabelled.
    let (_, id, mut alice) = owner(1, "alicia", &["b"]);
    let (_, tag_id, mut x) = tag(10, "z", &[1]);
    alice.insert("name".into(), text("alicia"));
    x.insert("label".into(), text("z"));
    d.transact_block(
        ptr(2),
        2,
        block(vec![
            EntityModification::Overwrite {
                key: key("Owner", id),
                data: alice,
            },
            EntityModification::Overwrite {
                key: key("Tag", tag_id),
                data: x,
            },
        ]),
    )
    .unwrap();
    let ids = |entity_type: &str, filter: Filter, block: Option<u64>| -> Vec<String> {
        d.query(&EntityQuery {
            entity_type: entity_type.into(),
            filters: vec![filter],
            order_by: None,
            order_direction: OrderDirection::Ascending,
            first: 100,
            skip: 0,
            block,
        })
        .unwrap()
        .iter()
        .map(|e| e["id"].to_string())
        .collect()
    };
    // A reference (bytes ids), at the latest block and at block 1.
    let owned_by = |name: &str| child("owner", "Owner", eq("name", name));
    assert_eq!(ids("Token", owned_by("alicia"), None), ["a"]);
    assert_eq!(ids("Token", owned_by("alice"), None), Vec::<String>::new());
    assert_eq!(ids("Token", owned_by("alice"), Some(1)), ["a"]);
    assert_eq!(ids("Token", owned_by("bob"), None), ["b", "c"]);
    // A list of references (Int8 ids): any of them matching.
    let tagged = |label: &str| child("tags", "Tag", eq("label", label));
    assert_eq!(ids("Token", tagged("z"), None), ["a", "b"]);
    assert_eq!(ids("Token", tagged("x"), Some(1)), ["a", "b"]);
    assert_eq!(ids("Token", tagged("y"), None), ["b"]);
    // A list of references with string ids, some of them null lists.
    let favorite = |symbol: &str| child("favorites", "Token", eq("symbol", symbol));
    assert_eq!(ids("Owner", favorite("BBB"), None), ["0x01"]);
    assert_eq!(ids("Owner", favorite("CCC"), None), ["0x02"]);
    // Derived from a reference: owners of a token with that symbol.
    let owning = |symbol: &str| child("tokens", "Token", eq("symbol", symbol));
    assert_eq!(ids("Owner", owning("CCC"), None), ["0x02"]);
    assert_eq!(ids("Owner", owning("ZZZ"), None), Vec::<String>::new());
    // Derived from a list (bytes ids): owners listed by a tag with that label.
    let listed = |label: &str| child("tagged", "Tag", eq("label", label));
    assert_eq!(ids("Owner", listed("y"), None), ["0x02", "0x03"]);
    assert_eq!(ids("Owner", listed("z"), None), ["0x01"]);
    assert_eq!(ids("Owner", listed("z"), Some(1)), Vec::<String>::new());
    // Combined with the parent's own filters and with several child conditions.
    let both = Filter::And(vec![
        owned_by("bob"),
        child(
            "tags",
            "Tag",
            Filter::And(vec![
                eq("label", "y"),
                Filter::Not("id".into(), Value::Int8(10)),
            ]),
        ),
    ]);
    assert_eq!(ids("Token", both, None), ["b"]);
    let either = Filter::Or(vec![owned_by("alicia"), tagged("y")]);
    assert_eq!(ids("Token", either, None), ["a", "b"]);
}

/// `orderBy: owner__name`: by the referenced entity's field at the query's block, through a
/// reference or a derived field holding one entity; entities without one sort as null.
fn child_sorting_orders_by_the_related_entity(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let d = store
        .deployment("sorting", Arc::new(Schema::parse(SDL).unwrap()))
        .unwrap();
    let profile = |id: &str, owner: u8, score: i32| {
        let data = entity(&[
            ("id", text(id)),
            ("owner", Value::Bytes(vec![owner])),
            ("score", Value::Int(score)),
        ]);
        ("Profile".to_string(), Id::String(id.into()), data)
    };
    d.transact_block(
        ptr(1),
        1,
        block(inserts(vec![
            owner(1, "bob", &[]),
            owner(2, "carol", &[]),
            owner(3, "alice", &[]),
            token("t1", "ONE", 1, &[]),
            token("t2", "TWO", 2, &[]),
            token("t3", "THREE", 3, &[]),
            token("t4", "FOUR", 1, &[]),
            profile("p1", 1, 30),
            profile("p3", 3, 10),
        ])),
    )
    .unwrap();
    // Block 2: bob becomes zed, who sorts last.
    let (_, id, mut bob) = owner(1, "zed", &[]);
    bob.insert("name".into(), text("zed"));
    d.transact_block(
        ptr(2),
        2,
        block(vec![EntityModification::Overwrite {
            key: key("Owner", id),
            data: bob,
        }]),
    )
    .unwrap();
    let sorted = |entity_type: &str, by: &str, direction, block| -> Vec<String> {
        d.query(&EntityQuery {
            entity_type: entity_type.into(),
            filters: vec![],
            order_by: Some(by.into()),
            order_direction: direction,
            first: 100,
            skip: 0,
            block,
        })
        .unwrap()
        .iter()
        .map(|e| e["id"].to_string())
        .collect()
    };
    use OrderDirection::{Ascending, Descending};
    // Ties (bob's two tokens) by id, in the same direction.
    assert_eq!(
        sorted("Token", "owner__name", Ascending, Some(1)),
        ["t3", "t1", "t4", "t2"]
    );
    assert_eq!(
        sorted("Token", "owner__name", Ascending, None),
        ["t3", "t2", "t1", "t4"]
    );
    assert_eq!(
        sorted("Token", "owner__name", Descending, None),
        ["t4", "t1", "t2", "t3"]
    );
    // Derived: carol has no profile, so she sorts as null (last ascending, first descending).
    assert_eq!(
        sorted("Owner", "profile__score", Ascending, None),
        ["0x03", "0x01", "0x02"]
    );
    assert_eq!(
        sorted("Owner", "profile__score", Descending, None),
        ["0x02", "0x01", "0x03"]
    );
    // Lists cannot be sorted through.
    let err = d
        .query(&EntityQuery {
            entity_type: "Token".into(),
            filters: vec![],
            order_by: Some("tags__label".into()),
            order_direction: Ascending,
            first: 100,
            skip: 0,
            block: None,
        })
        .unwrap_err();
    assert!(format!("{err:#}").contains("`tags` is a list"), "{err:#}");
}

on_both_backends!(
    child_filters_select_by_the_related_entity,
    child_sorting_orders_by_the_related_entity,
);
