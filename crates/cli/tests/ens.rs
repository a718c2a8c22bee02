//! End to end: the public ENS subgraph (examples/public/ens, upstream's mappings and mainnet
//! manifest byte for byte, rebuilt by graph-cli) indexed by the real `sprig` binary from a chain
//! generated for it, then every entity compared over GraphQL with what the chain implies.
//!
//! The expectation replays the chain's raw logs (all of them: the `Resolver` data source has no
//! address) through a model of the subgraph's handlers written here from upstream's TypeScript:
//! namehashes and labelhashes with keccak256, owners, resolvers and their records, registrations
//! and expiries, wrapped names and fuses, and one immutable event entity per handled log. Saves
//! merge into the stored entity as graph-node's `store.set` does (a field set to null is
//! removed, fields not set are kept). `ens.nameByHash` answers null (Sprig has no rainbow table),
//! so unknown labels show as `[labelhash]`.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::{keccak256, U256};
use serde_json::{json, Map, Value};
use sprig_chain::testing::Anvil;
use support::*;

/// Random operations after the setup and the registrations.
const STEPS: u32 = 150;
/// anvil's genesis: just below the newest controller's start block.
const GENESIS: u64 = 22_764_812;
const GENESIS_TIMESTAMP: u64 = 1_750_000_000;
/// The start block of `UnwrappedEthRegistrarController`; every other data source starts earlier
/// than the genesis (and `Resolver` at 0).
const UNWRAPPED_START: u64 = 22_764_821;
const NAME: &str = "ens";

const REGISTRY: &str = "0x00000000000c2e074ec69a0dfb2997ba6c7d2e1e";
const OLD_REGISTRY: &str = "0x314159265dd8dbb310642f98f50c066173c1259b";
const BASE_REGISTRAR: &str = "0x57f1887a8bf19b14fc0df6fd9b2acc9af147ea85";
const LEGACY_CONTROLLER: &str = "0x283af0b28c62c092c9727f1ee09c02ca627eb7f5";
const WRAPPED_CONTROLLER: &str = "0x253553366da8546fc250f225fe3d25d0c782303b";
const NAME_WRAPPER: &str = "0xd4416b13d2b3a9abae7acd5d6c2bbdbe25686401";
const UNWRAPPED_CONTROLLER: &str = "0x59e16fccd424cc24e280be16e11bcd56fb0ce547";
const EMPTY_ADDRESS: &str = "0x0000000000000000000000000000000000000000";
const ROOT_NODE: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";
const ETH_NODE: &str = "0x93cdeb708b7545dc668eb9280176169d1c33cfd8ed6f04690a0bcc88a93fc4ae";
const GRACE_PERIOD: u64 = 7_776_000;
const PARENT_CANNOT_CONTROL: i64 = 65_536;

/// How a field is queried: a value, or a reference read as its id (`field { id }`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Value,
    Ref,
}
use Kind::{Ref, Value as Val};

/// Fields and how each is queried.
type Fields = &'static [(&'static str, Kind)];

/// Every entity type of the schema (and its collection) with every stored field.
const TYPES: &[(&str, &str, Fields)] = &[
    (
        "Domain",
        "domains",
        &[
            ("name", Val),
            ("labelName", Val),
            ("labelhash", Val),
            ("parent", Ref),
            ("subdomainCount", Val),
            ("resolvedAddress", Ref),
            ("resolver", Ref),
            ("ttl", Val),
            ("isMigrated", Val),
            ("createdAt", Val),
            ("owner", Ref),
            ("registrant", Ref),
            ("wrappedOwner", Ref),
            ("expiryDate", Val),
        ],
    ),
    ("Account", "accounts", &[]),
    (
        "Resolver",
        "resolvers",
        &[
            ("domain", Ref),
            ("address", Val),
            ("addr", Ref),
            ("contentHash", Val),
            ("texts", Val),
            ("coinTypes", Val),
        ],
    ),
    (
        "Registration",
        "registrations",
        &[
            ("domain", Ref),
            ("registrationDate", Val),
            ("expiryDate", Val),
            ("cost", Val),
            ("registrant", Ref),
            ("labelName", Val),
        ],
    ),
    (
        "WrappedDomain",
        "wrappedDomains",
        &[
            ("domain", Ref),
            ("expiryDate", Val),
            ("fuses", Val),
            ("owner", Ref),
            ("name", Val),
        ],
    ),
    ("Transfer", "transfers", &[("domain", Ref), ("owner", Ref)]),
    (
        "NewOwner",
        "newOwners",
        &[("parentDomain", Ref), ("domain", Ref), ("owner", Ref)],
    ),
    // `resolver` may name no entity (a resolver set to 0x0 is recorded as "0x000…"), which a
    // non-null reference cannot return: checked through filters below.
    ("NewResolver", "newResolvers", &[("domain", Ref)]),
    ("NewTTL", "newTTLs", &[("domain", Ref), ("ttl", Val)]),
    (
        "WrappedTransfer",
        "wrappedTransfers",
        &[("domain", Ref), ("owner", Ref)],
    ),
    (
        "NameWrapped",
        "nameWrappeds",
        &[
            ("domain", Ref),
            ("name", Val),
            ("fuses", Val),
            ("owner", Ref),
            ("expiryDate", Val),
        ],
    ),
    (
        "NameUnwrapped",
        "nameUnwrappeds",
        &[("domain", Ref), ("owner", Ref)],
    ),
    ("FusesSet", "fusesSets", &[("domain", Ref), ("fuses", Val)]),
    (
        "ExpiryExtended",
        "expiryExtendeds",
        &[("domain", Ref), ("expiryDate", Val)],
    ),
    (
        "NameRegistered",
        "nameRegistereds",
        &[
            ("registration", Ref),
            ("registrant", Ref),
            ("expiryDate", Val),
        ],
    ),
    (
        "NameRenewed",
        "nameReneweds",
        &[("registration", Ref), ("expiryDate", Val)],
    ),
    (
        "NameTransferred",
        "nameTransferreds",
        &[("registration", Ref), ("newOwner", Ref)],
    ),
    (
        "AddrChanged",
        "addrChangeds",
        &[("resolver", Ref), ("addr", Ref)],
    ),
    (
        "MulticoinAddrChanged",
        "multicoinAddrChangeds",
        &[("resolver", Ref), ("coinType", Val), ("addr", Val)],
    ),
    (
        "NameChanged",
        "nameChangeds",
        &[("resolver", Ref), ("name", Val)],
    ),
    (
        "AbiChanged",
        "abiChangeds",
        &[("resolver", Ref), ("contentType", Val)],
    ),
    (
        "PubkeyChanged",
        "pubkeyChangeds",
        &[("resolver", Ref), ("x", Val), ("y", Val)],
    ),
    (
        "TextChanged",
        "textChangeds",
        &[("resolver", Ref), ("key", Val), ("value", Val)],
    ),
    (
        "ContenthashChanged",
        "contenthashChangeds",
        &[("resolver", Ref), ("hash", Val)],
    ),
    (
        "InterfaceChanged",
        "interfaceChangeds",
        &[
            ("resolver", Ref),
            ("interfaceID", Val),
            ("implementer", Val),
        ],
    ),
    (
        "AuthorisationChanged",
        "authorisationChangeds",
        &[
            ("resolver", Ref),
            ("owner", Val),
            ("target", Val),
            ("isAuthorized", Val),
        ],
    ),
    (
        "VersionChanged",
        "versionChangeds",
        &[("resolver", Ref), ("version", Val)],
    ),
];

/// Event entities all carry these two besides their own fields.
const EVENT_FIELDS: &[(&str, Kind)] = &[("blockNumber", Val), ("transactionID", Val)];

/// The implementers of each interface, and the field their derived lists follow.
const INTERFACES: &[(&str, &str, &[&str])] = &[
    (
        "domainEvents",
        "domain",
        &[
            "Transfer",
            "NewOwner",
            "NewResolver",
            "NewTTL",
            "WrappedTransfer",
            "NameWrapped",
            "NameUnwrapped",
            "FusesSet",
            "ExpiryExtended",
        ],
    ),
    (
        "registrationEvents",
        "registration",
        &["NameRegistered", "NameRenewed", "NameTransferred"],
    ),
    (
        "resolverEvents",
        "resolver",
        &[
            "AddrChanged",
            "MulticoinAddrChanged",
            "NameChanged",
            "AbiChanged",
            "PubkeyChanged",
            "TextChanged",
            "ContenthashChanged",
            "InterfaceChanged",
            "AuthorisationChanged",
            "VersionChanged",
        ],
    ),
];

fn is_event(ty: &str) -> bool {
    !matches!(
        ty,
        "Domain" | "Account" | "Resolver" | "Registration" | "WrappedDomain"
    )
}

fn fields_of(ty: &str) -> Vec<(&'static str, Kind)> {
    let (_, _, own) = TYPES.iter().find(|(t, _, _)| *t == ty).unwrap();
    let mut fields = vec![("id", Val)];
    fields.extend_from_slice(own);
    if is_event(ty) {
        fields.extend_from_slice(EVENT_FIELDS);
    }
    fields
}

#[tokio::test(flavor = "multi_thread")]
async fn ens_subgraph_matches_the_chain_sqlite() {
    ens_subgraph_matches_the_chain(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn ens_subgraph_matches_the_chain_postgres() {
    ens_subgraph_matches_the_chain(Backend::Postgres).await
}

async fn ens_subgraph_matches_the_chain(backend: Backend) {
    let started = std::time::Instant::now();
    let anvil = Anvil::spawn_with(&[
        "--timestamp",
        &GENESIS_TIMESTAMP.to_string(),
        "--number",
        &GENESIS.to_string(),
    ])
    .expect("anvil starts (run `npm install`)");
    let summary = emit("public/ens", anvil.url(), STEPS);
    let last_block = summary["lastBlock"].as_u64().unwrap();
    let emitted = started.elapsed();

    let databases = Databases::new(backend);
    let db = databases.create("ens.sqlite");
    let out = sprig()
        .arg("index")
        .arg(manifest("public/ens"))
        .args(["--rpc", anvil.url(), "--until", &last_block.to_string()])
        .args(ens_flags())
        .arg("--db")
        .arg(&db)
        .output()
        .expect("sprig runs");
    assert_ok(&out);
    let indexed = started.elapsed();
    let server = serve(&db);

    let (logs, timestamps) = chain_logs(anvil.url(), last_block).await;
    // The state before the last registration (the expired `early` taken again), for a query
    // at that block.
    let before_last = last_block - 2;
    let mut model = Model::default();
    let mut snapshot = None;
    let mut unwrapped_before_start = 0;
    for log in &logs {
        if log.block_number > before_last && snapshot.is_none() {
            snapshot = Some(model.entities.clone());
        }
        if log.address == UNWRAPPED_CONTROLLER && log.block_number < UNWRAPPED_START {
            unwrapped_before_start += 1;
        }
        model.handle(log, timestamps[&log.block_number]);
    }
    let snapshot = snapshot.unwrap_or_else(|| model.entities.clone());
    assert_eq!(
        unwrapped_before_start, 1,
        "one registration through the newest controller precedes its start block"
    );

    assert_every_entity(&server, &model).await;
    // NewResolver's `resolver`: a reference, or "0x000…" (no entity) for a resolver set to 0x0.
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ set: newResolvers(first: 1000, orderBy: id, where: {{ resolver_not: "{EMPTY_ADDRESS}" }}) {{ id resolver {{ id }} }}
                     cleared: newResolvers(first: 1000, orderBy: id, where: {{ resolver: "{EMPTY_ADDRESS}" }}) {{ id }} }}"#
            ),
        )
        .await
        .unwrap();
    let (cleared, set): (Vec<_>, Vec<_>) = model
        .of("NewResolver")
        .partition(|(_, e)| e.get("resolver") == Some(&json!(EMPTY_ADDRESS)));
    let set: Vec<Value> = set
        .into_iter()
        .map(|(id, e)| json!({ "id": id, "resolver": { "id": e["resolver"] } }))
        .collect();
    let cleared: Vec<Value> = cleared
        .into_iter()
        .map(|(id, _)| json!({ "id": id }))
        .collect();
    assert!(!cleared.is_empty(), "a resolver is set to 0x0");
    assert_eq!(data, json!({ "set": set, "cleared": cleared }));
    // Read as a reference, such an id fails the query as in graph-node.
    let response = server
        .query_raw(
            NAME,
            &format!(
                r#"{{ newResolvers(where: {{ resolver: "{EMPTY_ADDRESS}" }}) {{ id resolver {{ id }} }} }}"#
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        response["errors"][0]["message"],
        json!("Null value resolved for non-null field `resolver`"),
        "{response}"
    );

    // The history exercises what the handlers branch on (a check on the chain, not on Sprig).
    let domains: Vec<&Map<String, Value>> = model.of("Domain").map(|(_, d)| d).collect();
    let has = |what: &str, f: &dyn Fn(&Map<String, Value>) -> bool| {
        assert!(domains.iter().any(|d| f(d)), "no domain {what}");
    };
    has("left unmigrated", &|d| {
        d.get("isMigrated") == Some(&json!(false))
    });
    has("named by a controller", &|d| {
        d.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.ends_with(".eth") && !n.starts_with('['))
    });
    has("named by its labelhash", &|d| {
        d.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with('['))
    });
    has("wrapped", &|d| d.contains_key("wrappedOwner"));
    has("deleted (owner 0x0)", &|d| {
        d.get("owner") == Some(&json!(EMPTY_ADDRESS))
    });
    has("with a resolved address", &|d| {
        d.contains_key("resolvedAddress")
    });
    has("with a TTL", &|d| d.contains_key("ttl"));
    has("wrapped with an expiry from burned fuses", &|d| {
        d.contains_key("expiryDate") && d.get("parent") != Some(&json!(ETH_NODE))
    });
    for ty in [
        "NameRenewed",
        "NameTransferred",
        "MulticoinAddrChanged",
        "TextChanged",
        "ContenthashChanged",
        "NameChanged",
        "AbiChanged",
        "PubkeyChanged",
        "InterfaceChanged",
        "AuthorisationChanged",
        "VersionChanged",
        "FusesSet",
        "ExpiryExtended",
        "NameUnwrapped",
    ] {
        assert!(model.of(ty).next().is_some(), "no {ty}");
    }
    assert!(
        model
            .of("WrappedTransfer")
            .any(|(id, _)| id.ends_with("-1")),
        "a batch transfer"
    );
    assert!(
        model
            .of("WrappedDomain")
            .any(|(_, w)| !w.contains_key("name")),
        "a wrapped name with an invalid label"
    );
    assert!(
        model
            .of("TextChanged")
            .any(|(_, e)| !e.contains_key("value")),
        "an old TextChanged, without the value"
    );
    assert!(
        model
            .of("Registration")
            .any(|(_, r)| !r.contains_key("cost")),
        "a registration whose controller event the subgraph did not see"
    );

    // Derived fields and interfaces: a name's subdomains and events, an account's domains,
    // registrations and wrapped domains, a resolver's and a registration's events.
    let (parent_id, _) = model
        .of("Domain")
        .filter(|(_, d)| d.get("parent") == Some(&json!(ETH_NODE)))
        .max_by_key(|(id, _)| {
            model
                .of("Domain")
                .filter(|(_, c)| c.get("parent") == Some(&json!(id)))
                .count()
        })
        .unwrap();
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ domain(id: "{parent_id}") {{ subdomains(first: 1000, orderBy: id) {{ id }}
                     events(first: 1000, orderBy: id) {{ __typename id blockNumber }} }} }}"#
            ),
        )
        .await
        .unwrap();
    let subdomains: Vec<Value> = model
        .of("Domain")
        .filter(|(_, d)| d.get("parent") == Some(&json!(parent_id)))
        .map(|(id, _)| json!({ "id": id }))
        .collect();
    assert!(subdomains.len() >= 2, "{parent_id} has subdomains");
    assert_eq!(data["domain"]["subdomains"], json!(subdomains));
    assert_eq!(
        data["domain"]["events"],
        json!(model.events_referring("domainEvents", parent_id))
    );

    let user = model
        .of("Account")
        .map(|(id, _)| id)
        .max_by_key(|id| {
            model
                .of("Domain")
                .filter(|(_, d)| d.get("owner") == Some(&json!(id)))
                .count()
        })
        .unwrap();
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ account(id: "{user}") {{ domains(first: 1000, orderBy: id) {{ id }}
                     registrations(first: 1000, orderBy: id) {{ id }}
                     wrappedDomains(first: 1000, orderBy: id) {{ id }} }} }}"#
            ),
        )
        .await
        .unwrap();
    let owned = |ty: &str, field: &str| -> Value {
        json!(model
            .of(ty)
            .filter(|(_, e)| e.get(field) == Some(&json!(user)))
            .map(|(id, _)| json!({ "id": id }))
            .collect::<Vec<_>>())
    };
    assert_eq!(
        data["account"],
        json!({ "domains": owned("Domain", "owner"), "registrations": owned("Registration", "registrant"),
                "wrappedDomains": owned("WrappedDomain", "owner") })
    );

    let (busiest, _) = model
        .of("Resolver")
        .max_by_key(|(id, _)| model.events_referring("resolverEvents", id).len())
        .unwrap();
    let (renewed, _) = model
        .of("Registration")
        .max_by_key(|(id, _)| model.events_referring("registrationEvents", id).len())
        .unwrap();
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ resolver(id: "{busiest}") {{ events(first: 1000, orderBy: id) {{ __typename id blockNumber }} }}
                     registration(id: "{renewed}") {{ events(first: 1000, orderBy: id) {{ __typename id blockNumber }} }} }}"#
            ),
        )
        .await
        .unwrap();
    assert!(model.events_referring("resolverEvents", busiest).len() >= 3);
    assert_eq!(
        data["resolver"]["events"],
        json!(model.events_referring("resolverEvents", busiest))
    );
    assert_eq!(
        data["registration"]["events"],
        json!(model.events_referring("registrationEvents", renewed))
    );

    // The interfaces as root collections: every event entity, by type.
    for (interface, _, types) in INTERFACES {
        let got = server.all(NAME, interface, "__typename id").await.unwrap();
        let mut got: Vec<(String, String)> = got
            .iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_string(),
                    e["__typename"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        let mut expected: Vec<(String, String)> = model
            .entities
            .iter()
            .filter(|(ty, _)| types.contains(ty))
            .flat_map(|(ty, rows)| rows.keys().map(|id| (id.clone(), ty.to_string())))
            .collect();
        expected.sort();
        assert_eq!(got, expected, "{interface}");
    }

    // Queries the way the ENS app asks: an account's names by expiry, newest first; names by
    // label; registrations by label prefix. (The app also filters registrations through their
    // domain, `domain_: { ... }`: graph-node's child filters, which Sprig does not have yet.)
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ account(id: "{user}") {{ registrations(orderBy: expiryDate, orderDirection: desc) {{
                       expiryDate domain {{ name }} }} }}
                   byLabel: domains(where: {{ labelName_in: ["alice", "zoe", "ñandú", "nobody"] }}) {{ id name }}
                   aNames: registrations(first: 1000, where: {{ labelName_starts_with: "a" }}) {{ id }} }}"#
            ),
        )
        .await
        .unwrap();
    let domain_name = |id: &Value| {
        model
            .load("Domain", id.as_str().unwrap())
            .and_then(|d| d.get("name").cloned())
            .unwrap_or(Value::Null)
    };
    let mut mine: Vec<(U256, Value)> = model
        .of("Registration")
        .filter(|(_, r)| r.get("registrant") == Some(&json!(user)))
        .map(|(_, r)| (bigint(r, "expiryDate").unwrap(), domain_name(&r["domain"])))
        .collect();
    mine.sort_by_key(|m| std::cmp::Reverse(m.0));
    let got: Vec<(U256, Value)> = data["account"]["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["expiryDate"].as_str().unwrap().parse().unwrap(),
                r["domain"]["name"].clone(),
            )
        })
        .collect();
    // Equal expiries may come in either order; the expiries must descend.
    assert_eq!(
        got.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        mine.iter().map(|(e, _)| *e).collect::<Vec<_>>()
    );
    let as_set = |v: &[(U256, Value)]| v.iter().map(|x| x.1.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(as_set(&got), as_set(&mine));
    let by_label: Vec<Value> = model
        .of("Domain")
        .filter(|(_, d)| {
            ["alice", "zoe", "ñandú", "nobody"].contains(&text(d, "labelName").unwrap_or(""))
        })
        .map(|(id, d)| json!({ "id": id, "name": d["name"] }))
        .collect();
    assert_eq!(by_label.len(), 3, "{by_label:?}");
    assert_eq!(data["byLabel"], json!(by_label));
    let a_names: Vec<Value> = model
        .of("Registration")
        .filter(|(_, r)| text(r, "labelName").is_some_and(|l| l.starts_with('a')))
        .map(|(id, _)| json!({ "id": id }))
        .collect();
    assert!(a_names.len() >= 2, "{a_names:?}");
    assert_eq!(data["aNames"], json!(a_names));

    // Time travel: every domain as of the block before the expired name was taken again.
    let got = server
        .query(
            NAME,
            &format!(
                "{{ domains(first: 1000, orderBy: id, block: {{ number: {before_last} }}) {{ {} }} }}",
                selection(&fields_of("Domain"))
            ),
        )
        .await
        .unwrap();
    let got: Vec<Value> = got["domains"]
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(flatten_refs)
        .collect();
    let then = Model { entities: snapshot };
    let expected = then.rows("Domain", &fields_of("Domain"));
    assert_ne!(expected, model.rows("Domain", &fields_of("Domain")));
    assert_rows("Domain (time travel)", &got, &expected);

    let data = server
        .query(NAME, "{ _meta { block { number } hasIndexingErrors } }")
        .await
        .unwrap();
    assert_eq!(
        data["_meta"],
        json!({ "block": { "number": last_block }, "hasIndexingErrors": false })
    );
    poi(&db, NAME, last_block);
    eprintln!(
        "ens ({backend:?}): {} logs in {} blocks; chain generated in {:.1?}, indexed in {:.1?}, checked in {:.1?}",
        logs.len(),
        timestamps.len(),
        emitted,
        indexed - emitted,
        started.elapsed() - indexed
    );
}

/// A chain reorganisation under `sprig dev`: anvil replaces the last blocks (among them the
/// expired name taken again, a burn and re-mint of its token) with a branch of its own; Sprig
/// reverts and re-indexes, and every entity is again what the new chain implies, with the proof
/// of indexing of a fresh index of that chain.
#[tokio::test(flavor = "multi_thread")]
async fn ens_subgraph_follows_a_reorg() {
    let anvil = Anvil::spawn_with(&[
        "--timestamp",
        &GENESIS_TIMESTAMP.to_string(),
        "--number",
        &GENESIS.to_string(),
    ])
    .expect("anvil starts (run `npm install`)");
    emit("public/ens", anvil.url(), 60);
    let databases = Databases::new(Backend::Sqlite);
    let db = databases.create("followed.sqlite");
    let port = free_port();
    let _dev = Dev::start(dev_command("public/ens", anvil.url(), &db, port).args(ens_flags()));
    let followed = Server::attach(port);
    wait_for_head(&followed, anvil.url(), NAME).await;

    // The new branch: the root's owner makes a top-level name and sets xyz's TTL; the
    // transactions the old branch held there are gone.
    let accounts = rpc(anvil.url(), "eth_accounts", json!([])).await;
    let root = accounts[0].as_str().unwrap();
    let xyz = make_node(ROOT_NODE, &to_hex(keccak256("xyz").as_slice()));
    let call = |signature: &str, args: &[String]| {
        let mut data = to_hex(&keccak256(signature.as_bytes())[..4]);
        for arg in args {
            data.push_str(&format!("{:0>64}", arg.trim_start_matches("0x")));
        }
        json!({ "from": root, "to": REGISTRY, "gas": "0x100000", "data": data })
    };
    let label = to_hex(keccak256("reorg").as_slice());
    let new_owner = call(
        "setSubnodeOwner(bytes32,bytes32,address)",
        &[ROOT_NODE.into(), label.clone(), root.into()],
    );
    let ttl = call(
        "setTTL(bytes32,uint64)",
        &[xyz.clone(), format!("{:x}", 777)],
    );
    rpc(
        anvil.url(),
        "anvil_reorg",
        json!([4, [[new_owner, 0], [ttl, 2]]]),
    )
    .await;
    let head = wait_for_head(&followed, anvil.url(), NAME).await;

    let (logs, timestamps) = chain_logs(anvil.url(), head).await;
    let mut model = Model::default();
    for log in &logs {
        model.handle(log, timestamps[&log.block_number]);
    }
    assert!(model
        .load("Domain", &make_node(ROOT_NODE, &label))
        .is_some());
    assert_eq!(
        model.load("Domain", &xyz).unwrap()["ttl"],
        json!("777"),
        "the new branch's TTL"
    );
    assert_every_entity(&followed, &model).await;

    let fresh = databases.create("fresh.sqlite");
    let out = sprig()
        .arg("index")
        .arg(manifest("public/ens"))
        .args(["--rpc", anvil.url(), "--until", &head.to_string()])
        .args(ens_flags())
        .arg("--db")
        .arg(&fresh)
        .output()
        .expect("sprig runs");
    assert_ok(&out);
    assert_eq!(poi(&db, NAME, head), poi(&fresh, NAME, head));
}

/// Flags every `sprig` run here takes. The subgraph starts at block 0 (its `Resolver` has no
/// start block), below anvil's genesis: one range from 0 past the genesis spans the blocks that
/// do not exist. The compiled mappings are cached in one place for all runs (entries are
/// written atomically), so only the first run of the test binary compiles them.
fn ens_flags() -> [String; 4] {
    [
        "--max-block-range".into(),
        "30000000".into(),
        "--wasm-cache-dir".into(),
        format!("{}/ens-wasm-cache", env!("CARGO_TARGET_TMPDIR")),
    ]
}

/// Every log of the chain up to `last_block` and the timestamps of their blocks.
async fn chain_logs(url: &str, last_block: u64) -> (Vec<RawLog>, BTreeMap<u64, u64>) {
    let logs = all_logs(url, GENESIS, last_block).await;
    let blocks: BTreeSet<u64> = logs.iter().map(|l| l.block_number).collect();
    let mut timestamps = BTreeMap::new();
    for block in blocks {
        timestamps.insert(block, block_timestamp(url, block).await);
    }
    (logs, timestamps)
}

/// Every entity of every type, field by field, against the model.
async fn assert_every_entity(server: &Server, model: &Model) {
    for (ty, collection, _) in TYPES {
        let fields = fields_of(ty);
        let got = server
            .all(NAME, collection, &selection(&fields))
            .await
            .unwrap();
        let got: Vec<Value> = got.into_iter().map(flatten_refs).collect();
        let expected = model.rows(ty, &fields);
        assert_rows(ty, &got, &expected);
    }
}

/// A GraphQL selection of `fields`, references as `{ id }`.
fn selection(fields: &[(&str, Kind)]) -> String {
    fields
        .iter()
        .map(|(f, k)| match k {
            Val => f.to_string(),
            Ref => format!("{f} {{ id }}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `{"parent": {"id": x}}` as `{"parent": x}`, the model's form.
fn flatten_refs(v: Value) -> Value {
    let Value::Object(map) = v else { return v };
    Value::Object(
        map.into_iter()
            .map(|(k, v)| match v {
                Value::Object(inner) if inner.len() == 1 && inner.contains_key("id") => {
                    (k, inner["id"].clone())
                }
                v => (k, v),
            })
            .collect(),
    )
}

/// Compares two lists of rows by id, naming the first entity that differs.
fn assert_rows(what: &str, got: &[Value], expected: &[Value]) {
    let by_id = |rows: &[Value]| -> BTreeMap<String, Value> {
        rows.iter()
            .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
            .collect()
    };
    let (got, expected) = (by_id(got), by_id(expected));
    let ids: BTreeSet<&String> = got.keys().chain(expected.keys()).collect();
    for id in ids {
        assert_eq!(
            got.get(id),
            expected.get(id),
            "{what} {id}: Sprig's (left) and the chain's (right)"
        );
    }
}

type Entity = Map<String, Value>;

/// The subgraph's store as its handlers leave it: entity type -> id -> fields.
#[derive(Default)]
struct Model {
    entities: BTreeMap<&'static str, BTreeMap<String, Entity>>,
}

/// One log being handled: what every handler reads besides its parameters.
struct Ev<'a> {
    log: &'a RawLog,
    timestamp: u64,
}

impl Ev<'_> {
    fn id(&self) -> String {
        format!("{}-{}", self.log.block_number, self.log.log_index)
    }
    fn topic(&self, i: usize) -> String {
        to_hex(&self.log.topics[i])
    }
    fn topic_address(&self, i: usize) -> String {
        to_hex(&self.log.topics[i][12..])
    }
    fn topic_uint(&self, i: usize) -> U256 {
        U256::from_be_slice(&self.log.topics[i])
    }
    fn data(&self, types: Vec<DynSolType>) -> Vec<DynSolValue> {
        match DynSolType::Tuple(types)
            .abi_decode_params(&self.log.data)
            .unwrap()
        {
            DynSolValue::Tuple(values) => values,
            other => panic!("{other:?}"),
        }
    }
    /// The fields every event entity has.
    fn entity(&self) -> Entity {
        let mut e = Entity::new();
        e.insert("blockNumber".into(), json!(self.log.block_number));
        e.insert(
            "transactionID".into(),
            json!(to_hex(&self.log.transaction_hash)),
        );
        e
    }
}

fn uint(v: &DynSolValue) -> U256 {
    match v {
        DynSolValue::Uint(u, _) => *u,
        other => panic!("not a uint: {other:?}"),
    }
}
fn string(v: &DynSolValue) -> String {
    match v {
        DynSolValue::String(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}
fn bytes(v: &DynSolValue) -> Vec<u8> {
    match v {
        DynSolValue::Bytes(b) => b.clone(),
        DynSolValue::FixedBytes(b, n) => b[..*n].to_vec(),
        other => panic!("not bytes: {other:?}"),
    }
}
fn address(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Address(a) => to_hex(a.as_slice()),
        other => panic!("not an address: {other:?}"),
    }
}
fn big(u: U256) -> Value {
    json!(u.to_string())
}
fn word(u: U256) -> String {
    to_hex(&u.to_be_bytes::<32>())
}
/// keccak256(node ++ label): the namehash of a label under a node.
fn make_node(node: &str, label: &str) -> String {
    let mut b = hex(node);
    b.extend(hex(label));
    to_hex(keccak256(&b).as_slice())
}
/// upstream's `checkValidLabel`: no null byte, `.`, `[` or `]`.
fn valid_label(name: &str) -> bool {
    !name.chars().any(|c| matches!(c, '\0' | '.' | '[' | ']'))
}
fn text<'a>(e: &'a Entity, field: &str) -> Option<&'a str> {
    e.get(field).and_then(Value::as_str)
}
fn int(e: &Entity, field: &str) -> i64 {
    e[field].as_i64().unwrap()
}
/// A BigInt field as a number, to compare.
fn bigint(e: &Entity, field: &str) -> Option<U256> {
    text(e, field).map(|s| s.parse().unwrap())
}

impl Model {
    fn load(&self, ty: &str, id: &str) -> Option<Entity> {
        self.entities.get(ty).and_then(|t| t.get(id)).cloned()
    }

    /// graph-node's `store.set`: merged into the stored entity; null removes a field.
    fn save(&mut self, ty: &'static str, id: &str, e: &Entity) {
        let stored = self
            .entities
            .entry(ty)
            .or_default()
            .entry(id.to_string())
            .or_default();
        stored.insert("id".into(), json!(id));
        for (k, v) in e {
            if v.is_null() {
                stored.remove(k);
            } else {
                stored.insert(k.clone(), v.clone());
            }
        }
    }

    fn remove(&mut self, ty: &str, id: &str) {
        if let Some(t) = self.entities.get_mut(ty) {
            t.remove(id);
        }
    }

    fn of(&self, ty: &str) -> impl Iterator<Item = (&String, &Entity)> {
        self.entities.get(ty).into_iter().flatten()
    }

    /// The rows GraphQL should return for a type, every queried field present (null if unset).
    fn rows(&self, ty: &str, fields: &[(&str, Kind)]) -> Vec<Value> {
        self.of(ty)
            .map(|(_, e)| {
                Value::Object(
                    fields
                        .iter()
                        .map(|(f, _)| (f.to_string(), e.get(*f).cloned().unwrap_or(Value::Null)))
                        .collect(),
                )
            })
            .collect()
    }

    /// The entities of `interface` whose `field` is `id`, ordered by id, as its derived list
    /// returns them.
    fn events_referring(&self, interface: &str, id: &str) -> Vec<Value> {
        let (_, field, types) = INTERFACES.iter().find(|(i, _, _)| *i == interface).unwrap();
        let mut out: Vec<(String, Value)> = self
            .entities
            .iter()
            .filter(|(ty, _)| types.contains(ty))
            .flat_map(|(ty, rows)| {
                rows.iter()
                    .filter(|(_, e)| e.get(*field) == Some(&json!(id)))
                    .map(move |(eid, e)| {
                        (
                            eid.clone(),
                            json!({ "__typename": ty, "id": eid, "blockNumber": e["blockNumber"] }),
                        )
                    })
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    fn account(&mut self, id: &str) {
        self.save("Account", id, &Entity::new());
    }

    /// Dispatches a log to the handler its data source and event select.
    fn handle(&mut self, log: &RawLog, timestamp: u64) {
        let ev = Ev { log, timestamp };
        let t0 = &log.topics[0];
        let is = |sig: &str| *t0 == topic0(sig);
        let a = log.address.as_str();
        use DynSolType as T;
        if a == REGISTRY || a == OLD_REGISTRY {
            let old = a == OLD_REGISTRY;
            if is("Transfer(bytes32,address)") {
                let owner = address(&ev.data(vec![T::Address])[0]);
                let node = ev.topic(1);
                if !old || self.unmigrated(&node) {
                    self.transfer(&ev, &node, &owner);
                }
            } else if is("NewOwner(bytes32,bytes32,address)") {
                let owner = address(&ev.data(vec![T::Address])[0]);
                let (node, label) = (ev.topic(1), ev.topic(2));
                if !old {
                    self.new_owner(&ev, &node, &label, &owner, true);
                } else {
                    let subnode = make_node(&node, &label);
                    let migrated = self
                        .get_domain(&subnode, 0)
                        .is_some_and(|d| d.get("isMigrated") == Some(&json!(true)));
                    if !migrated {
                        self.new_owner(&ev, &node, &label, &owner, false);
                    }
                }
            } else if is("NewResolver(bytes32,address)") {
                let resolver = address(&ev.data(vec![T::Address])[0]);
                let node = ev.topic(1);
                if !old || node == ROOT_NODE || self.unmigrated(&node) {
                    self.new_resolver(&ev, &node, &resolver);
                }
            } else if is("NewTTL(bytes32,uint64)") {
                let ttl = uint(&ev.data(vec![T::Uint(64)])[0]);
                let node = ev.topic(1);
                if !old || self.unmigrated(&node) {
                    self.new_ttl(&ev, &node, ttl);
                }
            }
        } else if a == BASE_REGISTRAR {
            self.base_registrar(&ev);
        } else if a == LEGACY_CONTROLLER || a == WRAPPED_CONTROLLER {
            if is("NameRegistered(string,bytes32,address,uint256,uint256)") {
                let d = ev.data(vec![T::String, T::Uint(256), T::Uint(256)]);
                self.set_name_preimage(&string(&d[0]), &ev.topic(1), uint(&d[1]));
            } else if is("NameRegistered(string,bytes32,address,uint256,uint256,uint256)") {
                let d = ev.data(vec![T::String, T::Uint(256), T::Uint(256), T::Uint(256)]);
                let cost = uint(&d[1]) + uint(&d[2]);
                self.set_name_preimage(&string(&d[0]), &ev.topic(1), cost);
            } else if is("NameRenewed(string,bytes32,uint256,uint256)") {
                let d = ev.data(vec![T::String, T::Uint(256), T::Uint(256)]);
                self.set_name_preimage(&string(&d[0]), &ev.topic(1), uint(&d[1]));
            }
        } else if a == UNWRAPPED_CONTROLLER {
            if log.block_number < UNWRAPPED_START {
                return;
            }
            if is("NameRegistered(string,bytes32,address,uint256,uint256,uint256,bytes32)") {
                let d = ev.data(vec![
                    T::String,
                    T::Uint(256),
                    T::Uint(256),
                    T::Uint(256),
                    T::FixedBytes(32),
                ]);
                let cost = uint(&d[1]) + uint(&d[2]);
                self.set_name_preimage(&string(&d[0]), &ev.topic(1), cost);
            } else if is("NameRenewed(string,bytes32,uint256,uint256,bytes32)") {
                let d = ev.data(vec![
                    T::String,
                    T::Uint(256),
                    T::Uint(256),
                    T::FixedBytes(32),
                ]);
                self.set_name_preimage(&string(&d[0]), &ev.topic(1), uint(&d[1]));
            }
        } else if a == NAME_WRAPPER {
            self.name_wrapper(&ev);
        }
        // The Resolver data source has no address: these events count from any contract.
        self.resolver(&ev);
    }

    fn unmigrated(&self, node: &str) -> bool {
        // A missing `isMigrated` reads as false in the generated getter.
        let domain = self.get_domain(node, 0).expect("domain exists");
        domain.get("isMigrated") != Some(&json!(true))
    }

    // ---- src/ensRegistry.ts

    /// `getDomain`: the stored domain, or a new root (not saved) for the root node.
    fn get_domain(&self, node: &str, timestamp: u64) -> Option<Entity> {
        self.load("Domain", node).or_else(|| {
            (node == ROOT_NODE).then(|| {
                let mut d = Entity::new();
                d.insert("owner".into(), json!(EMPTY_ADDRESS));
                d.insert("isMigrated".into(), json!(true));
                d.insert("createdAt".into(), json!(timestamp.to_string()));
                d.insert("subdomainCount".into(), json!(0));
                d
            })
        })
    }

    /// `recurseDomainDelete`: an empty domain (no owner, resolver or subdomains) is no longer
    /// counted by its parent, and so up the tree.
    fn recurse_domain_delete(&mut self, domain: &Entity) {
        let no_resolver =
            text(domain, "resolver").is_none_or(|r| r.split('-').next() == Some(EMPTY_ADDRESS));
        if no_resolver
            && text(domain, "owner") == Some(EMPTY_ADDRESS)
            && int(domain, "subdomainCount") == 0
        {
            let parent_id = text(domain, "parent").expect("parent").to_string();
            if let Some(mut parent) = self.load("Domain", &parent_id) {
                parent.insert(
                    "subdomainCount".into(),
                    json!(int(&parent, "subdomainCount") - 1),
                );
                self.save("Domain", &parent_id, &parent);
                self.recurse_domain_delete(&parent);
            }
        }
    }

    fn save_domain(&mut self, id: &str, domain: &Entity) {
        self.recurse_domain_delete(domain);
        self.save("Domain", id, domain);
    }

    fn new_owner(&mut self, ev: &Ev, node: &str, label: &str, owner: &str, migrated: bool) {
        self.account(owner);
        let subnode = make_node(node, label);
        let domain = self.get_domain(&subnode, ev.timestamp);
        let mut parent = self.get_domain(node, 0);
        let mut domain = domain.unwrap_or_else(|| {
            let mut d = Entity::new();
            d.insert("createdAt".into(), json!(ev.timestamp.to_string()));
            d.insert("subdomainCount".into(), json!(0));
            d
        });
        if !domain.contains_key("parent") {
            if let Some(p) = parent.as_mut() {
                p.insert("subdomainCount".into(), json!(int(p, "subdomainCount") + 1));
                self.save("Domain", node, p);
            }
        }
        if !domain.contains_key("name") {
            // ens.nameByHash is null: the label is its hash in brackets.
            let label_name = format!("[{}]", &label[2..]);
            if node == ROOT_NODE {
                domain.insert("name".into(), json!(label_name));
            } else if let Some(name) = parent.as_ref().and_then(|p| text(p, "name")) {
                domain.insert("name".into(), json!(format!("{label_name}.{name}")));
            }
        }
        domain.insert("owner".into(), json!(owner));
        domain.insert("parent".into(), json!(node));
        domain.insert("labelhash".into(), json!(label));
        domain.insert("isMigrated".into(), json!(migrated));
        self.save_domain(&subnode, &domain);

        let mut e = ev.entity();
        e.insert("parentDomain".into(), json!(node));
        e.insert("domain".into(), json!(subnode));
        e.insert("owner".into(), json!(owner));
        self.save("NewOwner", &ev.id(), &e);
    }

    fn transfer(&mut self, ev: &Ev, node: &str, owner: &str) {
        self.account(owner);
        let mut domain = self.get_domain(node, 0).expect("domain exists");
        domain.insert("owner".into(), json!(owner));
        self.save_domain(node, &domain);
        let mut e = ev.entity();
        e.insert("domain".into(), json!(node));
        e.insert("owner".into(), json!(owner));
        self.save("Transfer", &ev.id(), &e);
    }

    fn new_resolver(&mut self, ev: &Ev, node: &str, resolver: &str) {
        let id = (resolver != EMPTY_ADDRESS).then(|| format!("{resolver}-{node}"));
        let mut domain = self.get_domain(node, 0).expect("domain exists");
        domain.insert("resolver".into(), json!(id));
        let resolved = match &id {
            Some(id) => match self.load("Resolver", id) {
                None => {
                    let mut r = Entity::new();
                    r.insert("domain".into(), json!(node));
                    r.insert("address".into(), json!(resolver));
                    self.save("Resolver", id, &r);
                    Value::Null
                }
                Some(r) => r.get("addr").cloned().unwrap_or(Value::Null),
            },
            None => Value::Null,
        };
        domain.insert("resolvedAddress".into(), resolved);
        self.save_domain(node, &domain);
        let mut e = ev.entity();
        e.insert("domain".into(), json!(node));
        e.insert(
            "resolver".into(),
            json!(id.unwrap_or_else(|| EMPTY_ADDRESS.to_string())),
        );
        self.save("NewResolver", &ev.id(), &e);
    }

    fn new_ttl(&mut self, ev: &Ev, node: &str, ttl: U256) {
        if let Some(mut domain) = self.get_domain(node, 0) {
            domain.insert("ttl".into(), big(ttl));
            self.save("Domain", node, &domain);
        }
        let mut e = ev.entity();
        e.insert("domain".into(), json!(node));
        e.insert("ttl".into(), big(ttl));
        self.save("NewTTL", &ev.id(), &e);
    }

    // ---- src/ethRegistrar.ts

    fn base_registrar(&mut self, ev: &Ev) {
        let t0 = &ev.log.topics[0];
        use DynSolType as T;
        if *t0 == topic0("NameRegistered(uint256,address,uint256)") {
            let owner = ev.topic_address(2);
            let expires = uint(&ev.data(vec![T::Uint(256)])[0]);
            self.account(&owner);
            let label = ev.topic(1);
            let node = make_node(ETH_NODE, &label);
            let mut domain = self.load("Domain", &node).expect("domain exists");
            let mut registration = Entity::new();
            registration.insert("domain".into(), json!(node));
            registration.insert("registrationDate".into(), json!(ev.timestamp.to_string()));
            registration.insert("expiryDate".into(), big(expires));
            registration.insert("registrant".into(), json!(owner));
            domain.insert("registrant".into(), json!(owner));
            domain.insert("expiryDate".into(), big(expires + U256::from(GRACE_PERIOD)));
            self.save("Domain", &node, &domain);
            self.save("Registration", &label, &registration);
            let mut e = ev.entity();
            e.insert("registration".into(), json!(label));
            e.insert("registrant".into(), json!(owner));
            e.insert("expiryDate".into(), big(expires));
            self.save("NameRegistered", &ev.id(), &e);
        } else if *t0 == topic0("NameRenewed(uint256,uint256)") {
            let expires = uint(&ev.data(vec![T::Uint(256)])[0]);
            let label = ev.topic(1);
            let node = make_node(ETH_NODE, &label);
            let mut registration = self.load("Registration", &label).expect("registered");
            let mut domain = self.load("Domain", &node).expect("domain exists");
            registration.insert("expiryDate".into(), big(expires));
            domain.insert("expiryDate".into(), big(expires + U256::from(GRACE_PERIOD)));
            self.save("Registration", &label, &registration);
            self.save("Domain", &node, &domain);
            let mut e = ev.entity();
            e.insert("registration".into(), json!(label));
            e.insert("expiryDate".into(), big(expires));
            self.save("NameRenewed", &ev.id(), &e);
        } else if *t0 == topic0("Transfer(address,address,uint256)") {
            let to = ev.topic_address(2);
            self.account(&to);
            let label = word(ev.topic_uint(3));
            let Some(mut registration) = self.load("Registration", &label) else {
                return;
            };
            let node = make_node(ETH_NODE, &label);
            let mut domain = self.load("Domain", &node).expect("domain exists");
            registration.insert("registrant".into(), json!(to));
            domain.insert("registrant".into(), json!(to));
            self.save("Domain", &node, &domain);
            self.save("Registration", &label, &registration);
            let mut e = ev.entity();
            e.insert("registration".into(), json!(label));
            e.insert("newOwner".into(), json!(to));
            self.save("NameTransferred", &ev.id(), &e);
        }
    }

    fn set_name_preimage(&mut self, name: &str, label: &str, cost: U256) {
        if !valid_label(name) {
            return;
        }
        let node = make_node(ETH_NODE, label);
        let mut domain = self.load("Domain", &node).expect("domain exists");
        if text(&domain, "labelName") != Some(name) {
            domain.insert("labelName".into(), json!(name));
            domain.insert("name".into(), json!(format!("{name}.eth")));
            self.save("Domain", &node, &domain);
        }
        let Some(mut registration) = self.load("Registration", label) else {
            return;
        };
        registration.insert("labelName".into(), json!(name));
        registration.insert("cost".into(), big(cost));
        self.save("Registration", label, &registration);
    }

    // ---- src/nameWrapper.ts

    fn create_or_load_domain(&mut self, node: &str) -> Entity {
        match self.load("Domain", node) {
            Some(d) => d,
            None => {
                self.save("Domain", node, &Entity::new());
                self.load("Domain", node).unwrap()
            }
        }
    }

    fn name_wrapper(&mut self, ev: &Ev) {
        let t0 = &ev.log.topics[0];
        use DynSolType as T;
        let is = |sig: &str| *t0 == topic0(sig);
        if is("NameWrapped(bytes32,bytes,address,uint32,uint64)") {
            let d = ev.data(vec![T::Bytes, T::Address, T::Uint(32), T::Uint(64)]);
            let node = ev.topic(1);
            let decoded = decode_name(&bytes(&d[0]));
            let owner = address(&d[1]);
            let fuses = uint(&d[2]).to::<i64>();
            let expiry = uint(&d[3]);
            self.account(&owner);
            let mut domain = self.create_or_load_domain(&node);
            if let Some((label, name)) = &decoded {
                if text(&domain, "labelName").is_none_or(str::is_empty) && !label.is_empty() {
                    domain.insert("labelName".into(), json!(label));
                    domain.insert("name".into(), json!(name));
                }
            }
            if fuses & PARENT_CANNOT_CONTROL != 0
                && bigint(&domain, "expiryDate").is_none_or(|e| expiry > e)
            {
                domain.insert("expiryDate".into(), big(expiry));
            }
            domain.insert("wrappedOwner".into(), json!(owner));
            self.save("Domain", &node, &domain);
            let name = decoded.map(|(_, name)| name);
            let mut w = Entity::new();
            w.insert("domain".into(), json!(node));
            w.insert("expiryDate".into(), big(expiry));
            w.insert("fuses".into(), json!(fuses));
            w.insert("owner".into(), json!(owner));
            w.insert("name".into(), json!(name));
            self.save("WrappedDomain", &node, &w);
            let mut e = ev.entity();
            e.insert("domain".into(), json!(node));
            e.insert("name".into(), json!(name));
            e.insert("fuses".into(), json!(fuses));
            e.insert("expiryDate".into(), big(expiry));
            e.insert("owner".into(), json!(owner));
            self.save("NameWrapped", &ev.id(), &e);
        } else if is("NameUnwrapped(bytes32,address)") {
            let node = ev.topic(1);
            let owner = address(&ev.data(vec![T::Address])[0]);
            self.account(&owner);
            let mut domain = self.create_or_load_domain(&node);
            domain.insert("wrappedOwner".into(), Value::Null);
            if domain.contains_key("expiryDate") && text(&domain, "parent") != Some(ETH_NODE) {
                domain.insert("expiryDate".into(), Value::Null);
            }
            self.save("Domain", &node, &domain);
            let mut e = ev.entity();
            e.insert("domain".into(), json!(node));
            e.insert("owner".into(), json!(owner));
            self.save("NameUnwrapped", &ev.id(), &e);
            self.remove("WrappedDomain", &node);
        } else if is("FusesSet(bytes32,uint32)") {
            let node = ev.topic(1);
            let fuses = uint(&ev.data(vec![T::Uint(32)])[0]).to::<i64>();
            if let Some(mut w) = self.load("WrappedDomain", &node) {
                w.insert("fuses".into(), json!(fuses));
                self.save("WrappedDomain", &node, &w);
                if fuses & PARENT_CANNOT_CONTROL != 0 {
                    let expiry = bigint(&w, "expiryDate").unwrap();
                    let mut domain = self.create_or_load_domain(&node);
                    if bigint(&domain, "expiryDate").is_none_or(|e| expiry > e) {
                        domain.insert("expiryDate".into(), big(expiry));
                        self.save("Domain", &node, &domain);
                    }
                }
            }
            let mut e = ev.entity();
            e.insert("domain".into(), json!(node));
            e.insert("fuses".into(), json!(fuses));
            self.save("FusesSet", &ev.id(), &e);
        } else if is("ExpiryExtended(bytes32,uint64)") {
            let node = ev.topic(1);
            let expiry = uint(&ev.data(vec![T::Uint(64)])[0]);
            if let Some(mut w) = self.load("WrappedDomain", &node) {
                w.insert("expiryDate".into(), big(expiry));
                self.save("WrappedDomain", &node, &w);
                if int(&w, "fuses") & PARENT_CANNOT_CONTROL != 0 {
                    let mut domain = self.create_or_load_domain(&node);
                    if bigint(&domain, "expiryDate").is_none_or(|e| expiry > e) {
                        domain.insert("expiryDate".into(), big(expiry));
                        self.save("Domain", &node, &domain);
                    }
                }
            }
            let mut e = ev.entity();
            e.insert("domain".into(), json!(node));
            e.insert("expiryDate".into(), big(expiry));
            self.save("ExpiryExtended", &ev.id(), &e);
        } else if is("TransferSingle(address,address,address,uint256,uint256)") {
            let to = ev.topic_address(3);
            let id = uint(&ev.data(vec![T::Uint(256), T::Uint(256)])[0]);
            self.wrapped_transfer(ev, &format!("{}-0", ev.id()), id, &to);
        } else if is("TransferBatch(address,address,address,uint256[],uint256[])") {
            let to = ev.topic_address(3);
            let d = ev.data(vec![
                T::Array(Box::new(T::Uint(256))),
                T::Array(Box::new(T::Uint(256))),
            ]);
            let DynSolValue::Array(ids) = &d[0] else {
                panic!("ids")
            };
            for (i, id) in ids.iter().enumerate() {
                self.wrapped_transfer(ev, &format!("{}-{i}", ev.id()), uint(id), &to);
            }
        }
    }

    fn wrapped_transfer(&mut self, ev: &Ev, event_id: &str, id: U256, to: &str) {
        self.account(to);
        let node = word(id);
        let mut domain = self.create_or_load_domain(&node);
        let mut w = self.load("WrappedDomain", &node).unwrap_or_else(|| {
            let mut w = Entity::new();
            w.insert("domain".into(), json!(node));
            w.insert("expiryDate".into(), json!("0"));
            w.insert("fuses".into(), json!(0));
            w
        });
        w.insert("owner".into(), json!(to));
        self.save("WrappedDomain", &node, &w);
        domain.insert("wrappedOwner".into(), json!(to));
        self.save("Domain", &node, &domain);
        let mut e = ev.entity();
        e.insert("domain".into(), json!(node));
        e.insert("owner".into(), json!(to));
        self.save("WrappedTransfer", event_id, &e);
    }

    // ---- src/resolver.ts

    /// `getOrCreateResolver`: saved at once only if asked.
    fn get_or_create_resolver(&mut self, node: &str, address: &str, save_on_new: bool) -> Entity {
        let id = format!("{address}-{node}");
        self.load("Resolver", &id).unwrap_or_else(|| {
            let mut r = Entity::new();
            r.insert("id".into(), json!(id));
            r.insert("domain".into(), json!(node));
            r.insert("address".into(), json!(address));
            if save_on_new {
                self.save("Resolver", &id, &r);
            }
            r
        })
    }

    /// Adds `item` to a list field if absent; saves the resolver only when the list changes.
    fn add_to_list(&mut self, mut resolver: Entity, field: &str, item: Value) -> Entity {
        let id = text(&resolver, "id").unwrap().to_string();
        let list = resolver.get(field).and_then(Value::as_array).cloned();
        match list {
            None => {
                resolver.insert(field.into(), json!([item]));
                self.save("Resolver", &id, &resolver);
            }
            Some(mut items) if !items.contains(&item) => {
                items.push(item);
                resolver.insert(field.into(), json!(items));
                self.save("Resolver", &id, &resolver);
            }
            Some(_) => {}
        }
        resolver
    }

    fn resolver(&mut self, ev: &Ev) {
        let t0 = &ev.log.topics[0];
        use DynSolType as T;
        let is = |sig: &str| *t0 == topic0(sig);
        let address = ev.log.address.clone();
        if ev.log.topics.len() < 2 {
            return;
        }
        let node = ev.topic(1);
        let resolver_id = format!("{address}-{node}");
        let mut e = ev.entity();
        e.insert("resolver".into(), json!(resolver_id));
        let ty = if is("AddrChanged(bytes32,address)") {
            let a = crate::address(&ev.data(vec![T::Address])[0]);
            self.account(&a);
            let mut r = Entity::new();
            r.insert("domain".into(), json!(node));
            r.insert("address".into(), json!(address));
            r.insert("addr".into(), json!(a));
            self.save("Resolver", &resolver_id, &r);
            if let Some(mut domain) = self.load("Domain", &node) {
                if text(&domain, "resolver") == Some(&resolver_id) {
                    domain.insert("resolvedAddress".into(), json!(a));
                    self.save("Domain", &node, &domain);
                }
            }
            e.insert("addr".into(), json!(a));
            "AddrChanged"
        } else if is("AddressChanged(bytes32,uint256,bytes)") {
            let d = ev.data(vec![T::Uint(256), T::Bytes]);
            let coin_type = uint(&d[0]);
            let r = self.get_or_create_resolver(&node, &address, false);
            self.add_to_list(r, "coinTypes", big(coin_type));
            e.insert("coinType".into(), big(coin_type));
            e.insert("addr".into(), json!(to_hex(&bytes(&d[1]))));
            "MulticoinAddrChanged"
        } else if is("NameChanged(bytes32,string)") {
            let name = string(&ev.data(vec![T::String])[0]);
            if name.contains('\0') {
                return;
            }
            self.get_or_create_resolver(&node, &address, true);
            e.insert("name".into(), json!(name));
            "NameChanged"
        } else if is("ABIChanged(bytes32,uint256)") {
            self.get_or_create_resolver(&node, &address, true);
            e.insert("contentType".into(), big(ev.topic_uint(2)));
            "AbiChanged"
        } else if is("PubkeyChanged(bytes32,bytes32,bytes32)") {
            let d = ev.data(vec![T::FixedBytes(32), T::FixedBytes(32)]);
            self.get_or_create_resolver(&node, &address, true);
            e.insert("x".into(), json!(to_hex(&bytes(&d[0]))));
            e.insert("y".into(), json!(to_hex(&bytes(&d[1]))));
            "PubkeyChanged"
        } else if is("TextChanged(bytes32,string,string)")
            || is("TextChanged(bytes32,string,string,string)")
        {
            let with_value = is("TextChanged(bytes32,string,string,string)");
            let d = if with_value {
                ev.data(vec![T::String, T::String])
            } else {
                ev.data(vec![T::String])
            };
            let key = string(&d[0]);
            let r = self.get_or_create_resolver(&node, &address, false);
            self.add_to_list(r, "texts", json!(key));
            e.insert("key".into(), json!(key));
            if with_value {
                e.insert("value".into(), json!(string(&d[1])));
            }
            "TextChanged"
        } else if is("ContenthashChanged(bytes32,bytes)") {
            let hash = to_hex(&bytes(&ev.data(vec![T::Bytes])[0]));
            let mut r = self.get_or_create_resolver(&node, &address, false);
            r.insert("contentHash".into(), json!(hash));
            self.save("Resolver", &resolver_id, &r);
            e.insert("hash".into(), json!(hash));
            "ContenthashChanged"
        } else if is("InterfaceChanged(bytes32,bytes4,address)") {
            let implementer = crate::address(&ev.data(vec![T::Address])[0]);
            self.get_or_create_resolver(&node, &address, true);
            e.insert("interfaceID".into(), json!(to_hex(&ev.log.topics[2][..4])));
            e.insert("implementer".into(), json!(implementer));
            "InterfaceChanged"
        } else if is("AuthorisationChanged(bytes32,address,address,bool)") {
            let DynSolValue::Bool(authorised) = ev.data(vec![T::Bool])[0] else {
                panic!("bool")
            };
            self.get_or_create_resolver(&node, &address, true);
            e.insert("owner".into(), json!(ev.topic_address(2)));
            e.insert("target".into(), json!(ev.topic_address(3)));
            e.insert("isAuthorized".into(), json!(authorised));
            "AuthorisationChanged"
        } else if is("VersionChanged(bytes32,uint64)") {
            let version = uint(&ev.data(vec![T::Uint(64)])[0]);
            e.insert("version".into(), big(version));
            self.save("VersionChanged", &ev.id(), &e);
            if let Some(mut domain) = self.load("Domain", &node) {
                if text(&domain, "resolver") == Some(&resolver_id) {
                    domain.insert("resolvedAddress".into(), Value::Null);
                    self.save("Domain", &node, &domain);
                }
            }
            let mut r = self.get_or_create_resolver(&node, &address, false);
            for field in ["addr", "contentHash", "texts", "coinTypes"] {
                r.insert(field.into(), Value::Null);
            }
            self.save("Resolver", &resolver_id, &r);
            return;
        } else {
            return;
        };
        self.save(ty, &ev.id(), &e);
    }
}

/// upstream's `decodeName`: a DNS-encoded name as (first label, dotted name), or None if a label
/// is not valid.
fn decode_name(buf: &[u8]) -> Option<(String, String)> {
    let mut offset = 0;
    let mut len = buf[offset] as usize;
    offset += 1;
    if len == 0 {
        return Some((String::new(), ".".into()));
    }
    let mut list = Vec::new();
    let mut first = String::new();
    while len != 0 {
        let label = &buf[offset..offset + len];
        let label_str = String::from_utf8_lossy(label).to_string();
        if !valid_label(&label_str) {
            return None;
        }
        if offset > 1 {
            list.push(b'.');
        } else {
            first = label_str;
        }
        list.extend_from_slice(label);
        offset += len;
        len = buf[offset] as usize;
        offset += 1;
    }
    Some((first, String::from_utf8_lossy(&list).to_string()))
}
