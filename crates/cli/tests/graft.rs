//! End to end: grafting. The erc20 example is indexed on a real anvil chain as the base (with a
//! recorded deployment id); a copy of its build with `graft:` added (written by the test) is
//! indexed as a second subgraph of the same database from the graft block on. Over GraphQL the
//! grafted subgraph answers exactly as the base (which indexed every block itself) at, before
//! and after the graft block, and `sprig poi` gives the same proofs, as graph-node's would,
//! since the grafted deployment's digests continue from the base's. On both stores.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::*;

const TRANSFERS: u32 = 40;
const BASE_ID: &str = "QmSprigErc20GraftBase";

/// Copies `example`'s build into `dir/build` with `top` added to its manifest.
fn example_build(example: &str, dir: &Path, top: &str) -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let from = repo().join("examples").join(example).join("build");
    let to = dir.join("build");
    copy_dir(&from, &to);
    let manifest = std::fs::read_to_string(to.join("subgraph.yaml")).unwrap();
    let manifest = manifest.replacen("schema:\n", &format!("{top}schema:\n"), 1);
    std::fs::write(to.join("subgraph.yaml"), manifest).unwrap();
    to.join("subgraph.yaml")
}

/// Copies the erc20 example's build into `dir/build` with `top` added to its manifest.
fn grafted_build(dir: &Path, top: &str) -> PathBuf {
    example_build("erc20", dir, top)
}

fn index_as(
    manifest: &Path,
    name: &str,
    url: &str,
    db: &str,
    until: u64,
    extra: &[&str],
) -> std::process::Output {
    sprig()
        .arg("index")
        .arg(manifest)
        .args(["--rpc", url, "--until", &until.to_string(), "--name", name])
        .args(["--db", db])
        .args(extra)
        .output()
        .expect("sprig runs")
}

fn poi_as(db: &str, name: &str, url: &str, block: u64) -> String {
    let out = sprig()
        .args(["poi", "--db", db, "--name", name, "--rpc", url])
        .args(["--block", &block.to_string(), "--deployment", BASE_ID])
        .output()
        .expect("sprig runs");
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Everything the erc20 subgraph stores, as of `block` (the latest block if `None`).
async fn state(server: &Server, name: &str, block: Option<u64>) -> Value {
    let at = block.map_or(String::new(), |n| format!(", block: {{ number: {n} }}"));
    server
        .query(
            name,
            &format!(
                r#"{{
                  tokens(first: 10{at}) {{ id totalSupply transferCount }}
                  accounts(first: 1000, orderBy: id{at}) {{
                    id balance balanceDecimal transfersIn(first: 1000, orderBy: id) {{ id }}
                  }}
                  transfers(first: 1000, orderBy: id{at}) {{
                    id from {{ id }} to {{ id }} value blockNumber timestamp transaction
                  }}
                  memos(first: 100, orderBy: id{at}) {{ id text num numI64 flag }}
                }}"#
            ),
        )
        .await
        .unwrap()
}

async fn grafted_subgraph_continues_the_base(backend: Backend) {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), TRANSFERS);
    let last = summary["lastBlock"].as_u64().unwrap();
    let graft_block = last / 2;
    let dbs = Databases::new(backend);
    let db = dbs.create("graft.sqlite");

    assert_ok(&index_as(
        &manifest("erc20"),
        "erc20",
        anvil.url(),
        &db,
        last,
        &["--deployment-id", BASE_ID],
    ));
    let top =
        format!("features:\n  - grafting\ngraft:\n  base: {BASE_ID}\n  block: {graft_block}\n");
    let grafted = grafted_build(dbs.dir(), &top);
    // The grafted data source starts after the graft block: everything before it can only
    // have come from the copy.
    let yaml = std::fs::read_to_string(&grafted).unwrap();
    let yaml = yaml.replacen(
        "startBlock: 0",
        &format!("startBlock: {}", graft_block + 1),
        1,
    );
    std::fs::write(&grafted, yaml).unwrap();

    // graph-node's rule: the base must be past the graft block by the reorg threshold.
    let out = index_as(&grafted, "grafted", anvil.url(), &db, last, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "failed to graft onto `erc20` at block {graft_block} since it's only at block {last} \
             which is within the reorg threshold of 250 blocks"
        )),
        "{err}"
    );

    let threshold = ["--reorg-threshold", "5"];
    let out = index_as(&grafted, "grafted", anvil.url(), &db, last, &threshold);
    assert_ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "grafting `grafted` onto `erc20` at block {graft_block}"
        )),
        "{err}"
    );
    // A second run resumes from the stored head and copies nothing again.
    let out = index_as(&grafted, "grafted", anvil.url(), &db, last, &threshold);
    assert_ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("grafting"));

    let server = serve(&db);
    let full = state(&server, "erc20", None).await;
    assert_eq!(state(&server, "grafted", None).await, full);
    for block in [graft_block - 1, graft_block, graft_block + 1, last] {
        let base = state(&server, "erc20", Some(block)).await;
        assert_eq!(
            state(&server, "grafted", Some(block)).await,
            base,
            "block {block}"
        );
    }
    // The graft block splits the transfers: some before, some after it.
    let at_graft = state(&server, "erc20", Some(graft_block)).await;
    let (before, after) = (
        at_graft["transfers"].as_array().unwrap().len(),
        full["transfers"].as_array().unwrap().len(),
    );
    assert!(0 < before && before < after, "{before} {after}");
    let meta = server
        .query(
            "grafted",
            "{ _meta { block { number } hasIndexingErrors } }",
        )
        .await
        .unwrap();
    assert_eq!(meta["_meta"]["block"]["number"], serde_json::json!(last));

    // The proofs of indexing agree with the base's, at, before and after the graft block.
    for block in [graft_block - 1, graft_block, graft_block + 1, last] {
        assert_eq!(
            poi_as(&db, "grafted", anvil.url(), block),
            poi_as(&db, "erc20", anvil.url(), block),
            "block {block}"
        );
    }
    assert_ne!(
        poi_as(&db, "grafted", anvil.url(), graft_block),
        poi_as(&db, "grafted", anvil.url(), last)
    );

    // `sprig status` shows where each came from.
    let out = sprig().args(["status", "--db", &db]).output().unwrap();
    assert_ok(&out);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains(&format!("deployment:   {BASE_ID}")),
        "{status}"
    );
    assert!(
        status.contains(&format!("grafted onto: `erc20` at block {graft_block}")),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn grafted_subgraph_continues_the_base_sqlite() {
    grafted_subgraph_continues_the_base(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn grafted_subgraph_continues_the_base_postgres() {
    grafted_subgraph_continues_the_base(Backend::Postgres).await;
}

/// The base is looked up in the subgraph's own database, by recorded id, name or
/// `--graft-base`; anything else is refused with what the database holds and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn graft_bases_resolve_or_are_explained() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 5);
    let last = summary["lastBlock"].as_u64().unwrap();
    let dbs = Databases::new(Backend::Sqlite);
    let db = dbs.create("bases.sqlite");
    assert_ok(&index_as(
        &manifest("erc20"),
        "erc20",
        anvil.url(),
        &db,
        last,
        &[],
    ));
    let top = "features: [grafting]\ngraft:\n  base: QmSomewhereElse\n  block: 3\n";
    let grafted = grafted_build(dbs.dir(), top);
    let threshold = ["--reorg-threshold", "0"];

    let out = index_as(&grafted, "g1", anvil.url(), &db, last, &threshold);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the graft base `QmSomewhereElse` is not a deployment in")
            && err.contains("it holds `erc20`")
            && err.contains("--deployment-id QmSomewhereElse")
            && err.contains("--graft-base"),
        "{err}"
    );
    let other = dbs.create("other.sqlite");
    let out = index_as(
        &grafted,
        "g1",
        anvil.url(),
        &other,
        last,
        &["--graft-base", "erc20", "--reorg-threshold", "0"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--graft-base `erc20`") && err.contains("has no such deployment"),
        "{err}"
    );

    let out = index_as(
        &grafted,
        "g1",
        anvil.url(),
        &db,
        last,
        &["--graft-base", "erc20", "--reorg-threshold", "0"],
    );
    assert_ok(&out);
    let server = serve(&db);
    assert_eq!(
        state(&server, "g1", None).await,
        state(&server, "erc20", None).await
    );

    // Without the feature declared, the manifest is refused at load.
    let undeclared = dbs.dir().join("undeclared");
    let manifest = grafted_build(&undeclared, "graft:\n  base: erc20\n  block: 3\n");
    let out = index_as(&manifest, "g2", anvil.url(), &db, last, &threshold);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("The feature `grafting` is used by the subgraph but it is not declared")
            && err.contains("subgraph.yaml"),
        "{err}"
    );
}

/// The factory example: pairs created from a template before the graft block keep being
/// indexed after it (their data sources are copied), new ones are created after it, and the
/// block handler goes on from the graft block; the grafted subgraph equals the base.
#[tokio::test(flavor = "multi_thread")]
async fn grafted_factory_keeps_its_data_sources() {
    let anvil = anvil();
    let summary = emit("factory", anvil.url(), 30);
    let last = summary["lastBlock"].as_u64().unwrap();
    let graft_block = last / 2;
    let dbs = Databases::new(Backend::Sqlite);
    let db = dbs.create("factory.sqlite");
    assert_ok(&index_as(
        &manifest("factory"),
        "factory",
        anvil.url(),
        &db,
        last,
        &["--deployment-id", "QmFactoryBase"],
    ));
    let top =
        format!("features: [grafting]\ngraft:\n  base: QmFactoryBase\n  block: {graft_block}\n");
    let grafted = example_build("factory", dbs.dir(), &top);
    let out = index_as(
        &grafted,
        "grafted",
        anvil.url(),
        &db,
        last,
        &["--reorg-threshold", "3"],
    );
    assert_ok(&out);

    let server = serve(&db);
    let state = |name: &'static str, block: Option<u64>| {
        let server = &server;
        async move {
            let at = block.map_or(String::new(), |n| format!(", block: {{ number: {n} }}"));
            server
                .query(
                    name,
                    &format!(
                        r#"{{
                          pairs(first: 1000, orderBy: id{at}) {{
                            id label labelFromCall index createdAtBlock count countFromEvents
                            bumpCount bumps(first: 1000, orderBy: id) {{ id }}
                          }}
                          bumps(first: 1000, orderBy: id{at}) {{
                            id pair {{ id }} caller by newCount blockNumber
                          }}
                          blockStats(first: 1000, orderBy: id{at}) {{ id number timestamp count }}
                        }}"#
                    ),
                )
                .await
                .unwrap()
        }
    };
    let full = state("factory", None).await;
    assert_eq!(state("grafted", None).await, full);
    for block in [graft_block, graft_block + 1] {
        assert_eq!(
            state("grafted", Some(block)).await,
            state("factory", Some(block)).await,
            "block {block}"
        );
    }
    // The test means something: a pair created before the graft block was bumped after it, so
    // its copied data source ran in the grafted subgraph.
    let created_before: Vec<&str> = full["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["createdAtBlock"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                <= graft_block
        })
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        full["bumps"].as_array().unwrap().iter().any(|b| {
            b["blockNumber"].as_str().unwrap().parse::<u64>().unwrap() > graft_block
                && created_before.contains(&b["pair"]["id"].as_str().unwrap())
        }),
        "no bump after block {graft_block} of a pair created before it: {full}"
    );
    for block in [graft_block, last] {
        let poi = |name: &str| {
            let out = sprig()
                .args(["poi", "--db", &db, "--name", name, "--rpc", anvil.url()])
                .args([
                    "--block",
                    &block.to_string(),
                    "--deployment",
                    "QmFactoryBase",
                ])
                .output()
                .unwrap();
            assert_ok(&out);
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(poi("grafted"), poi("factory"), "block {block}");
    }
}
