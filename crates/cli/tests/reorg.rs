//! Chain reorganisations while following the head: after anvil replaces the last 1, 3 and 10
//! blocks, `sprig dev` reverts and re-indexes, and ends with exactly the entities of a fresh index
//! of the final chain, and `_meta.block.hash` is the new head's hash.

mod support;

use serde_json::{json, Value};
use support::*;

/// Every entity of the erc20 subgraph, for comparing two indexes.
async fn snapshot(server: &Server) -> Value {
    let token = server
        .query("erc20", "{ tokens { id name totalSupply transferCount } }")
        .await
        .unwrap();
    json!({
        "tokens": token["tokens"],
        "accounts": server.all("erc20", "accounts", "id balance balanceDecimal").await.unwrap(),
        "transfers": server
            .all("erc20", "transfers", "id from { id } to { id } value blockNumber timestamp")
            .await
            .unwrap(),
        "memos": server.all("erc20", "memos", "id text num").await.unwrap(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn reorgs_while_following_the_head_end_equal_to_a_fresh_index_sqlite() {
    reorgs_while_following_the_head_end_equal_to_a_fresh_index(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn reorgs_while_following_the_head_end_equal_to_a_fresh_index_postgres() {
    reorgs_while_following_the_head_end_equal_to_a_fresh_index(Backend::Postgres).await
}

async fn reorgs_while_following_the_head_end_equal_to_a_fresh_index(backend: Backend) {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 100);
    let token = summary["token"].as_str().unwrap().to_string();
    let accounts = accounts(anvil.url()).await;
    let (richest, _) = summary["balances"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(a, b)| (a.clone(), b.as_str().unwrap().parse::<u128>().unwrap()))
        .max_by_key(|(_, b)| *b)
        .unwrap();

    let dbs = Databases::new(backend);
    let db = dbs.create("followed.sqlite");
    let port = free_port();
    let _dev = Dev::start(&mut dev_command("erc20", anvil.url(), &db, port));
    let followed = Server::attach(port);

    for depth in [1u64, 3, 10] {
        wait_for_head(&followed, anvil.url(), "erc20").await;
        // Replace the last `depth` blocks: the new branch holds two transfers of its own.
        let transfer = |amount: u64| {
            let to = accounts[9].trim_start_matches("0x");
            json!({
                "from": richest,
                "to": token,
                "gas": "0x30000",
                "data": format!("0xa9059cbb{:0>64}{:064x}", to, amount),
            })
        };
        rpc(
            anvil.url(),
            "anvil_reorg",
            json!([
                depth,
                [
                    [transfer(1000 + depth), 0],
                    [transfer(2000 + depth), depth - 1]
                ]
            ]),
        )
        .await;
        let head = wait_for_head(&followed, anvil.url(), "erc20").await;

        let fresh_db = dbs.create(&format!("fresh-{depth}.sqlite"));
        assert_ok(&index("erc20", anvil.url(), &fresh_db, head));
        let fresh = serve(&fresh_db);
        let (got, want) = (snapshot(&followed).await, snapshot(&fresh).await);
        assert_eq!(got, want, "after a reorg of depth {depth}");
        assert_eq!(
            poi(&db, "erc20", head),
            poi(&fresh_db, "erc20", head),
            "proof of indexing after a reorg of depth {depth}"
        );
        assert!(
            got["transfers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["value"] == json!((2000 + depth).to_string())),
            "the new branch's transfers are indexed"
        );
    }
}

/// The node's unlocked accounts.
async fn accounts(url: &str) -> Vec<String> {
    rpc(url, "eth_accounts", json!([]))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// A reorganisation that replaces every block the subgraph indexed (a subgraph that started near
/// the head) is shallow, not too deep: `sprig dev` starts over from the start block and ends
/// equal to a fresh index of the new chain, in which the token is deployed again and minted to
/// someone else.
#[tokio::test(flavor = "multi_thread")]
async fn a_reorg_replacing_every_indexed_block_starts_over() {
    let anvil = anvil();
    let summary = emit("erc20", anvil.url(), 5);
    let token = summary["token"].as_str().unwrap().to_string();
    let accounts = accounts(anvil.url()).await;
    let dbs = Databases::new(Backend::Sqlite);
    let db = dbs.create("followed.sqlite");
    let port = free_port();
    let _dev = Dev::start(&mut dev_command("erc20", anvil.url(), &db, port));
    let followed = Server::attach(port);
    let head = wait_for_head(&followed, anvil.url(), "erc20").await;

    // Replace blocks 1..=head: the token is deployed again (same deployer and nonce, so the same
    // address) and mints to account 7 instead of what the old branch did.
    let bytecode =
        std::fs::read_to_string(repo().join("examples/erc20/contracts/out/Token.bin")).unwrap();
    let deploy =
        json!({ "from": accounts[0], "data": format!("0x{}", bytecode.trim()), "gas": "0x500000" });
    let mint = json!({
        "from": accounts[3],
        "to": token,
        "gas": "0x30000",
        "data": format!("0x40c10f19{:0>64}{:064x}", accounts[7].trim_start_matches("0x"), 777u64),
    });
    rpc(
        anvil.url(),
        "anvil_reorg",
        json!([head, [[deploy, 0], [mint, 1]]]),
    )
    .await;
    let new_head = wait_for_head(&followed, anvil.url(), "erc20").await;

    let fresh_db = dbs.create("fresh.sqlite");
    assert_ok(&index("erc20", anvil.url(), &fresh_db, new_head));
    let fresh = serve(&fresh_db);
    let got = snapshot(&followed).await;
    assert_eq!(got, snapshot(&fresh).await);
    assert_eq!(
        got["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["id"].clone(), a["balance"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                json!("0x0000000000000000000000000000000000000000"),
                json!("-777")
            ),
            (json!(accounts[7].to_lowercase()), json!("777")),
        ],
        "only the new branch's mint is indexed"
    );
}
