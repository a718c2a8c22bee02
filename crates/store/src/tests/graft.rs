//! Grafting in the store, on both backends: the copy of a base deployment's state at the graft
//! block (entity history, data sources with their causality regions, proof-of-indexing digests,
//! head), graph-node's checks of the base and of the schemas, a restart that does not copy
//! again, and the revert floor at the graft block.

use std::sync::Arc;

use sprig_manifest::Schema;
use sprig_value::Entity;

use super::{
    big, block, file_data_source, insert, ptr, schema, text, token, token_key, tokens, Backend,
    TestDb, SDL,
};
use crate::{
    BlockWrite, Deployment, DeploymentOrigin, DeploymentSummary, EntityModification, EntityReader,
    GraftBase, QueryStore, Store, StoredDataSource, SubgraphFailure, WritableStore,
};

fn graft_at(base: &str, block: u64, reorg_threshold: u64) -> DeploymentOrigin {
    DeploymentOrigin {
        id: Some("QmGraft".into()),
        graft: Some(GraftBase {
            base: base.into(),
            block: ptr(block),
            timestamp: block * 10,
            reorg_threshold,
            templates: vec!["Pair".into(), "TokenFile".into()],
        }),
    }
}

fn overwrite(data: Entity) -> EntityModification {
    match insert(data) {
        EntityModification::Insert { key, data } => EntityModification::Overwrite { key, data },
        other => other,
    }
}

fn contract_data_source(block: u64) -> StoredDataSource {
    StoredDataSource {
        template: "Pair".into(),
        params: vec![format!("0x{block:040x}")],
        context: None,
        creation_block: block,
        causality_region: 0,
        done_at: None,
    }
}

fn poi(digest: u8) -> Vec<(String, Vec<u8>)> {
    vec![(String::new(), vec![digest; 32])]
}

/// The base: eight blocks touching tokens, data sources (contract and file) and the proof of
/// indexing around block 3, the graft block of the tests.
fn base(store: &Store) -> Deployment {
    let d = store
        .deployment_from(
            "base",
            schema(),
            &DeploymentOrigin {
                id: Some("QmBase".into()),
                graft: None,
            },
        )
        .unwrap();
    let writes = [
        BlockWrite {
            modifications: vec![
                insert(token("a", &[("supply", big(1))])),
                insert(token("b", &[("supply", big(1))])),
            ],
            data_sources: vec![contract_data_source(1)],
            poi: poi(1),
            ..BlockWrite::default()
        },
        BlockWrite {
            modifications: vec![overwrite(token("a", &[("supply", big(2))]))],
            data_sources: vec![file_data_source(1, 2)],
            poi: poi(2),
            ..BlockWrite::default()
        },
        BlockWrite {
            modifications: vec![EntityModification::Remove {
                key: token_key("b"),
            }],
            file_entities: vec![(1, token_key("f1"), token("f1", &[]))],
            done_data_sources: vec![1],
            data_sources: vec![file_data_source(2, 3)],
            ..BlockWrite::default()
        },
        BlockWrite {
            // `a`'s version of block 2 ends here, after the graft block: the graft reopens it.
            modifications: vec![
                overwrite(token("a", &[("supply", big(4))])),
                insert(token("c", &[])),
            ],
            file_entities: vec![(2, token_key("f2"), token("f2", &[]))],
            done_data_sources: vec![2],
            data_sources: vec![contract_data_source(4)],
            poi: poi(4),
            ..BlockWrite::default()
        },
    ];
    for (i, write) in writes.into_iter().enumerate() {
        let n = i as u64 + 1;
        d.transact_block(ptr(n), n * 10, write).unwrap();
    }
    for n in 5..=8 {
        d.transact_block(ptr(n), n * 10, block(vec![])).unwrap();
    }
    d
}

fn all_at(d: &Deployment, block: Option<u64>) -> Vec<Entity> {
    d.query(&crate::EntityQuery {
        block,
        ..tokens(vec![])
    })
    .unwrap()
}

fn grafts_copy_the_state_at_the_block(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let base = base(&store);
    let g = store
        .deployment_from("graft", schema(), &graft_at("base", 3, 2))
        .unwrap();

    let status = g.status().unwrap();
    assert_eq!(
        (status.head, status.head_timestamp),
        (Some(ptr(3)), Some(30))
    );
    assert_eq!(status.failure, None);
    // The state at the graft block is current; history before it answers as the base's.
    assert_eq!(all_at(&g, None), all_at(&base, Some(3)));
    for n in 1..=3 {
        assert_eq!(all_at(&g, Some(n)), all_at(&base, Some(n)), "block {n}");
    }
    assert_eq!(
        g.find(&token_key("a"), None).unwrap().unwrap()["supply"],
        big(2)
    );
    assert!(g.find(&token_key("b"), None).unwrap().is_none());
    assert!(g.find(&token_key("c"), None).unwrap().is_none());
    // The file data source's entity keeps its region: queries see it, handlers do not.
    assert!(g.find(&token_key("f1"), None).unwrap().is_some());
    assert!(g.get(&token_key("f1")).unwrap().is_none());
    assert!(g.get(&token_key("a")).unwrap().is_some());
    assert!(g.find(&token_key("f2"), None).unwrap().is_none());
    // Data sources created up to the block; the file one done at block 3 stays done.
    let mut done = file_data_source(1, 2);
    done.done_at = Some(3);
    assert_eq!(
        g.data_sources().unwrap(),
        [contract_data_source(1), done, file_data_source(2, 3)]
    );
    // The proof of indexing carries on from the base's digests.
    for n in 1..=3 {
        assert_eq!(g.poi_digests(n).unwrap(), base.poi_digests(n).unwrap());
    }
    assert_eq!(g.poi_digests(8).unwrap(), poi(2));
    // Blocks the base recorded before the graft block, and the graft block itself.
    let blocks: Vec<u64> = g
        .recent_blocks(10)
        .unwrap()
        .iter()
        .map(|(p, _)| p.number)
        .collect();
    assert_eq!(blocks, [3, 2, 1]);
    assert_eq!(g.block_by_hash(&ptr(2).hash).unwrap(), Some((ptr(2), 20)));

    // Indexing goes on from the next block, independently of the base.
    g.transact_block(
        ptr(4),
        40,
        BlockWrite {
            modifications: vec![overwrite(token("a", &[("supply", big(40))]))],
            poi: poi(40),
            ..BlockWrite::default()
        },
    )
    .unwrap();
    assert_eq!(
        g.find(&token_key("a"), Some(3)).unwrap().unwrap()["supply"],
        big(2)
    );
    assert_eq!(
        base.find(&token_key("a"), None).unwrap().unwrap()["supply"],
        big(4)
    );
    assert_eq!(g.poi_digests(4).unwrap(), poi(40));

    // Reverting to the graft block works; past it, as in graph-node, does not.
    g.revert_to(ptr(3), 30).unwrap();
    let err = format!("{:#}", g.revert_to(ptr(2), 20).unwrap_err());
    assert!(
        err.contains("grafted at block 3") && err.contains("reverting past a graft point"),
        "{err}"
    );
    g.transact_block(ptr(4), 40, block(vec![])).unwrap();

    // Opening it again (a restart, with the manifest's graft) copies nothing again.
    drop(g);
    let store = db.open();
    let g = store
        .deployment_from("graft", schema(), &graft_at("base", 3, 2))
        .unwrap();
    assert_eq!(g.status().unwrap().head, Some(ptr(4)));
    assert_eq!(all_at(&g, None), all_at(&base, Some(3)));
    assert_eq!(
        store.deployments().unwrap(),
        [
            DeploymentSummary {
                name: "base".into(),
                id: Some("QmBase".into()),
                graft: None,
            },
            DeploymentSummary {
                name: "graft".into(),
                id: Some("QmGraft".into()),
                graft: Some(("base".into(), 3)),
            },
        ]
    );
}

fn graft_bases_are_checked_as_graph_node_checks_them(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let err = |base: &str, block: u64, threshold: u64| {
        let result = store.deployment_from("graft", schema(), &graft_at(base, block, threshold));
        format!("{:#}", result.unwrap_err())
    };
    let e = err("nowhere", 1, 0);
    assert!(
        e.contains("cannot graft `graft` onto `nowhere` at block 1")
            && e.contains("there is no deployment `nowhere` in this database"),
        "{e}"
    );
    store.deployment("empty", schema()).unwrap();
    let e = err("empty", 1, 0);
    assert!(e.contains("since it has not processed any blocks"), "{e}");

    let base = base(&store);
    let e = err("base", 9, 0);
    assert!(
        e.contains("at block 9 since it has only processed block 8"),
        "{e}"
    );
    let e = err("base", 3, 6);
    assert!(
        e.contains("since it's only at block 8 which is within the reorg threshold of 6 blocks"),
        "{e}"
    );
    base.prune(2).unwrap();
    let e = err("base", 1, 0);
    assert!(e.contains("since its earliest available block is 2"), "{e}");
    base.transact_block(
        ptr(9),
        90,
        BlockWrite {
            failure: Some(SubgraphFailure {
                block: ptr(9),
                handler: Some("handleTransfer".into()),
                message: "boom".into(),
                fatal: true,
            }),
            ..BlockWrite::default()
        },
    )
    .unwrap();
    let e = err("base", 9, 0);
    assert!(
        e.contains("since it's not healthy. You can graft it starting at block 8 backwards"),
        "{e}"
    );
    // A refused graft leaves no deployment behind.
    let names: Vec<String> = store
        .deployments()
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["base", "empty"]);
    // An unhealthy base may be grafted before its failure, whatever the reorg threshold.
    let g = store
        .deployment_from("graft", schema(), &graft_at("base", 8, 250))
        .unwrap();
    assert_eq!(g.status().unwrap().head, Some(ptr(8)));
    assert_eq!(g.status().unwrap().earliest_block, 2);
    assert_eq!(all_at(&g, None), all_at(&base, Some(8)));
}

fn graft_schemas_must_be_compatible(backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.open();
    let base = base(&store);
    let graft = |name: &str, sdl: &str| {
        let schema = Arc::new(Schema::parse(sdl).unwrap());
        store.deployment_from(name, schema, &graft_at("base", 4, 0))
    };
    // New types and new nullable fields are fine; so is leaving a field (`price`) or a type
    // (`Transfer`) behind.
    let wider = SDL
        .replace("price: BigDecimal\n", "note: String\n")
        .replace(
            "type Transfer @entity(immutable: true) {\n      id: Int8!\n      from: Account!\n      value: BigInt!\n    }",
            "type Extra @entity(immutable: true) { id: ID! }",
        );
    let g = graft("wider", &wider).unwrap();
    let a = g.find(&token_key("a"), None).unwrap().unwrap();
    assert_eq!((&a["supply"], a.get("note")), (&big(4), None));
    assert_eq!(
        g.find(&token_key("c"), None).unwrap().unwrap()["name"],
        text("token c")
    );
    assert!(base.find(&token_key("c"), None).unwrap().is_some());

    for (sdl, error) in [
        (
            SDL.replace("supply: BigInt\n", "supply: Int\n"),
            "The attribute Token.supply has type Int, but its type in the source is BigInt",
        ),
        (
            SDL.replace("decimals: Int\n", "decimals: Int!\n"),
            "The attribute Token.decimals is non-nullable, but the corresponding attribute in the source is nullable",
        ),
        (
            SDL.replace("nonce: Int8\n", "nonce: Int8\n      rank: Int!\n"),
            "The attribute Token.rank is non-nullable, but there is no such attribute in the source",
        ),
        (
            SDL.replace("tags: [String!]\n", "tags: String\n"),
            "The attribute Token.tags has type String, but its type in the source is [String]",
        ),
        (
            SDL.replace("enum Kind { Alpha, Beta }", "enum Kind { Alpha }"),
            "the enum type Kind contains values not present in Kind",
        ),
        (
            SDL.replace("type Token implements Named @entity(immutable: false)", "type Token implements Named @entity(immutable: true)"),
            "`Token` can not be made immutable since it contains at least one mutated entity",
        ),
    ] {
        let e = format!("{:#}", graft("narrower", &sdl).unwrap_err());
        assert!(
            e.contains("cannot graft `narrower` onto `base` at block 4") && e.contains(error),
            "{error}: {e}"
        );
    }
    // The base's data sources need their templates.
    let mut origin = graft_at("base", 4, 0);
    if let Some(graft) = &mut origin.graft {
        graft.templates = vec!["TokenFile".into()];
    }
    let e = format!(
        "{:#}",
        store
            .deployment_from("no_pair", schema(), &origin)
            .unwrap_err()
    );
    assert!(
        e.contains("`base` created data sources of template `Pair` up to block 4, but the manifest has no such template"),
        "{e}"
    );
    // Enum values may be added.
    let more = SDL.replace(
        "enum Kind { Alpha, Beta }",
        "enum Kind { Alpha, Beta, Gamma }",
    );
    graft("more_kinds", &more).unwrap();
    assert_eq!(
        all_at(&store.open_deployment("more_kinds").unwrap(), None).len(),
        all_at(&base, Some(4)).len()
    );
}

on_both_backends!(
    grafts_copy_the_state_at_the_block,
    graft_bases_are_checked_as_graph_node_checks_them,
    graft_schemas_must_be_compatible,
);
