//! End to end: the public Uniswap v2 subgraph (examples/public/uniswap-v2, upstream's mappings and
//! mainnet config, rebuilt by graph-cli) indexed by the real `sprig` binary from a chain generated
//! for it, then queried over GraphQL the way Uniswap's front ends query it.
//!
//! Expectations come from the chain's raw logs and raw `eth_call`s, with integer arithmetic
//! (exact decimals) or, for the subgraph's BigDecimal divisions, with f64 to 12 digits.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use alloy::dyn_abi::{DynSolType, DynSolValue};
use alloy::primitives::U256;
use serde_json::{json, Value};
use sprig_chain::testing::Anvil;
use support::num_like::Signed;
use support::*;

/// Random transactions after the setup (which is ~170 transactions of its own).
const STEPS: u32 = 120;
/// The mainnet block the subgraph's config starts at; anvil's genesis gets this number.
const GENESIS: u64 = 10_000_834;
/// 300 s before a UTC midnight: the activity spans two days and two hours.
const GENESIS_TIMESTAMP: u64 = 1_700_006_100;
const NAME: &str = "uniswap-v2";
const FACTORY: &str = "0x5c69bee701ef814a2b6a3edd4b1652cb9cc5aa6f";
const WETH: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
/// The pairs `getEthPriceInUSD` reads (config/ethereum/chain.ts STABLE_TOKEN_PAIRS).
const STABLE_PAIRS: [&str; 2] = [
    "0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc",
    "0x0d4a11d5eeaac28ec3f61d100daf4d40471f1852",
];
/// DGD has a static definition in config/ethereum/chain.ts; its stand-in has no name or symbol.
const DGD: &str = "0xe0b7927c4af23765cb51314a0e0521a9645f0e2a";
const ZERO: &str = "0x0000000000000000000000000000000000000000";

#[tokio::test(flavor = "multi_thread")]
async fn uniswap_v2_subgraph_matches_the_chain() {
    let anvil = Anvil::spawn_with(&[
        "--timestamp",
        &GENESIS_TIMESTAMP.to_string(),
        "--number",
        &GENESIS.to_string(),
    ])
    .expect("anvil starts (run `npm install`)");
    let summary = emit("public/uniswap-v2", anvil.url(), STEPS);
    let last_block = summary["lastBlock"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("uniswap.sqlite");
    assert_ok(&index("public/uniswap-v2", anvil.url(), &db, last_block));
    let server = serve(&db);

    let chain = Chain::read(anvil.url(), last_block).await;
    // The generator's own account agrees on what happened (a check on the expectation).
    let counts = &summary["counts"];
    let total = |f: fn(&PairModel) -> usize| chain.pairs.values().map(f).sum::<usize>();
    assert_eq!(chain.pairs.len(), 7);
    assert_eq!(
        total(|p| p.swaps.len()) as u64,
        counts["swaps"].as_u64().unwrap() + 2 * counts["twoHopSwaps"].as_u64().unwrap()
    );
    // Seven seeding mints, then the random ones.
    assert_eq!(
        total(|p| p.mints) as u64,
        7 + counts["adds"].as_u64().unwrap()
    );
    assert_eq!(
        total(|p| p.burns) as u64,
        counts["removes"].as_u64().unwrap()
    );

    // The factory and the ETH price.
    let tx_count = total(|p| p.mints + p.burns + p.swaps.len());
    let data = server
        .query(
            NAME,
            r#"{ uniswapFactories { id pairCount txCount } bundle(id: "1") { ethPrice }
                 _meta { block { number } } }"#,
        )
        .await
        .unwrap();
    assert_eq!(chain.pair_created, 8, "one pair's token has no decimals()");
    assert_eq!(
        data["uniswapFactories"],
        json!([{ "id": "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f", "pairCount": 8,
                 "txCount": tx_count.to_string() }])
    );
    assert_eq!(data["_meta"]["block"]["number"], json!(last_block));
    // The proof of indexing is there (its value is compared with graph-node's elsewhere).
    poi(&db, NAME, last_block);
    assert_close(&data["bundle"]["ethPrice"], chain.eth_price(), "ethPrice");

    // Tokens: metadata from eth_calls (string, bytes32, reverting, or the static table), supply
    // as of the block that first saw them, and sums over their pairs.
    let got = server
        .all(
            NAME,
            "tokens",
            "id symbol name decimals totalSupply txCount tradeVolume totalLiquidity derivedETH",
        )
        .await
        .unwrap();
    let mut expected = Vec::new();
    for (id, token) in &chain.tokens {
        let mine = || {
            chain
                .pairs
                .values()
                .filter(|p| p.token0 == *id || p.token1 == *id)
        };
        let side = |p: &PairModel| usize::from(p.token1 == *id);
        let liquidity = mine().fold(Signed::default(), |acc, p| acc.add(p.reserves[side(p)]));
        let volume = mine().fold(Signed::default(), |acc, p| {
            p.swaps.iter().fold(acc, |acc, s| {
                acc.add(s.amounts_in[side(p)] + s.amounts_out[side(p)])
            })
        });
        let txs: usize = mine().map(|p| p.mints + p.burns + p.swaps.len()).sum();
        expected.push(json!({
            "id": id, "symbol": token.symbol, "name": token.name,
            "decimals": token.decimals.to_string(), "totalSupply": token.supply_when_seen.to_string(),
            "txCount": txs.to_string(),
            "tradeVolume": decimal_string(&volume, token.decimals),
            "totalLiquidity": decimal_string(&liquidity, token.decimals),
        }));
    }
    let derived_eth: BTreeMap<String, Value> = got
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["derivedETH"].clone(),
            )
        })
        .collect();
    let got: Vec<Value> = got
        .into_iter()
        .map(|mut t| {
            t.as_object_mut().unwrap().remove("derivedETH");
            t
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(derived_eth[WETH], json!("1"));
    let symbols: BTreeSet<&str> = chain.tokens.values().map(|t| t.symbol.as_str()).collect();
    assert!(
        ["MKR", "DGD", "unknown", "USDC"]
            .iter()
            .all(|s| symbols.contains(s)),
        "bytes32, static, missing and string metadata all occur: {symbols:?}"
    );

    // Pairs: reserves equal getReserves() at the end, LP supply totalSupply() less the locked
    // MINIMUM_LIQUIDITY (its mint to the zero address is skipped), volumes and counts from the
    // events, prices the reserves' ratio.
    let got = server
        .all(
            NAME,
            "pairs",
            "id token0 { id } token1 { id } reserve0 reserve1 totalSupply volumeToken0 \
             volumeToken1 txCount createdAtBlockNumber createdAtTimestamp token0Price token1Price \
             reserveUSD",
        )
        .await
        .unwrap();
    let mut reserve_usd = BTreeMap::new();
    let got: Vec<Value> = got
        .into_iter()
        .map(|mut p| {
            let id = p["id"].as_str().unwrap().to_string();
            let pair = &chain.pairs[&id];
            let (d0, d1) = chain.decimals(pair);
            let r0 = pair.reserves[0].to_string().parse::<f64>().unwrap() / 10f64.powi(d0 as i32);
            let r1 = pair.reserves[1].to_string().parse::<f64>().unwrap() / 10f64.powi(d1 as i32);
            assert_close(&p["token0Price"], r0 / r1, "token0Price");
            assert_close(&p["token1Price"], r1 / r0, "token1Price");
            let p = p.as_object_mut().unwrap();
            p.remove("token0Price");
            p.remove("token1Price");
            reserve_usd.insert(id, p.remove("reserveUSD").unwrap());
            Value::Object(p.clone())
        })
        .collect();
    let mut expected = Vec::new();
    for (id, pair) in &chain.pairs {
        let (d0, d1) = chain.decimals(pair);
        let volume = |k: usize| {
            pair.swaps.iter().fold(Signed::default(), |acc, s| {
                acc.add(s.amounts_in[k] + s.amounts_out[k])
            })
        };
        let lp = Signed::default().add(pair.total_supply - U256::from(1000));
        expected.push(json!({
            "id": id, "token0": { "id": pair.token0 }, "token1": { "id": pair.token1 },
            "reserve0": decimal_string(&Signed::default().add(pair.reserves[0]), d0),
            "reserve1": decimal_string(&Signed::default().add(pair.reserves[1]), d1),
            "totalSupply": decimal_string(&lp, 18),
            "volumeToken0": decimal_string(&volume(0), d0),
            "volumeToken1": decimal_string(&volume(1), d1),
            "txCount": (pair.mints + pair.burns + pair.swaps.len()).to_string(),
            "createdAtBlockNumber": pair.created_at.to_string(),
            "createdAtTimestamp": chain.timestamps[&pair.created_at].to_string(),
        }));
    }
    assert_eq!(got, expected);

    // Time travel: the pairs as of a block in the middle, against getReserves() at that block.
    let mid = (GENESIS + last_block) / 2;
    let data = server
        .query(
            NAME,
            &format!(
                "{{ pairs(block: {{ number: {mid} }}, orderBy: id) {{ id reserve0 reserve1 }} }}"
            ),
        )
        .await
        .unwrap();
    let mut expected = Vec::new();
    for (id, pair) in &chain.pairs {
        let reserves = call(anvil.url(), id, "getReserves()", &format!("0x{mid:x}")).await;
        let (d0, d1) = chain.decimals(pair);
        expected.push(json!({
            "id": id, "reserve0": dec(word(&reserves, 0), d0), "reserve1": dec(word(&reserves, 1), d1),
        }));
    }
    assert_eq!(data["pairs"], json!(expected));
    assert_ne!(data["pairs"], json!(got_pairs_at_end(&got)));

    // Swaps, one by one: ids number the swaps of each transaction (a two-hop swap has two).
    let got = server
        .all(
            NAME,
            "swaps",
            "id transaction { id } pair { id } timestamp sender from to amount0In amount1In \
             amount0Out amount1Out logIndex",
        )
        .await
        .unwrap();
    let mut expected = Vec::new();
    for swap in chain.pairs.values().flat_map(|p| &p.swaps) {
        let pair = &chain.pairs[&swap.pair];
        let (d0, d1) = chain.decimals(pair);
        let dec = |v: U256, d| decimal_string(&Signed::default().add(v), d);
        expected.push(json!({
            "id": swap.id, "transaction": { "id": swap.tx }, "pair": { "id": swap.pair },
            "timestamp": chain.timestamps[&swap.block].to_string(),
            "sender": swap.sender, "from": chain.tx_from[&swap.tx], "to": swap.to,
            "amount0In": dec(swap.amounts_in[0], d0), "amount1In": dec(swap.amounts_in[1], d1),
            "amount0Out": dec(swap.amounts_out[0], d0), "amount1Out": dec(swap.amounts_out[1], d1),
            "logIndex": swap.log_index.to_string(),
        }));
    }
    expected.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    assert_eq!(got, expected);
    assert!(
        got.iter()
            .any(|s| s["id"].as_str().unwrap().ends_with("-1")),
        "a transaction with two swaps"
    );

    // A pair of two tokens off the whitelist has no tracked volume, and its swaps' amountUSD
    // falls back to the untracked estimate: upstream picks it with `tracked === ZERO_BD`, a
    // reference comparison in AssemblyScript.
    let (untracked, _) = chain
        .pairs
        .iter()
        .find(|(_, p)| p.token1 == DGD || p.token0 == DGD)
        .unwrap();
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ pair(id: "{untracked}") {{ volumeUSD untrackedVolumeUSD swaps(first: 1000) {{ amountUSD }} }} }}"#
            ),
        )
        .await
        .unwrap();
    let pair = &data["pair"];
    assert_eq!(pair["volumeUSD"], json!("0"));
    let amounts: Vec<f64> = pair["swaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amountUSD"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        !amounts.is_empty() && amounts.iter().all(|a| *a > 0.0),
        "{pair}"
    );
    assert_close(
        &pair["untrackedVolumeUSD"],
        amounts.iter().sum(),
        "untrackedVolumeUSD",
    );

    // Transactions and their mints, burns and swaps (list fields of references).
    let got = server
        .all(
            NAME,
            "transactions",
            "id blockNumber mints { id } burns { id } swaps { id }",
        )
        .await
        .unwrap();
    let expected: Vec<Value> = chain
        .transactions
        .iter()
        .map(|(id, t)| {
            let ids = |n: usize| -> Vec<Value> {
                (0..n)
                    .map(|i| json!({ "id": format!("{id}-{i}") }))
                    .collect()
            };
            json!({
                "id": id, "blockNumber": t.block.to_string(),
                "mints": ids(t.mints), "burns": ids(t.burns), "swaps": ids(t.swaps),
            })
        })
        .collect();
    assert_eq!(got, expected);

    // Mints and burns: liquidity from the LP Transfer, amounts from the Mint / Burn event.
    let got = server
        .all(
            NAME,
            "mints",
            "id pair { id } to sender liquidity amount0 amount1",
        )
        .await
        .unwrap();
    let expected: Vec<Value> = chain.mints.values().cloned().collect();
    assert_eq!(got, expected);
    let got = server
        .all(
            NAME,
            "burns",
            "id pair { id } sender liquidity amount0 amount1 needsComplete",
        )
        .await
        .unwrap();
    let expected: Vec<Value> = chain.burns.values().cloned().collect();
    assert_eq!(got, expected);

    // Users: everyone on either side of a counted LP transfer.
    let got = server.all(NAME, "users", "id").await.unwrap();
    let expected: Vec<Value> = chain.users.iter().map(|u| json!({ "id": u })).collect();
    assert_eq!(got, expected);

    // Day and hour aggregates: per pair, the day counts add up to the pair's transactions and the
    // last day ends with the pair's final reserves; the activity spans two days.
    for (id, pair) in &chain.pairs {
        let data = server
            .query(
                NAME,
                &format!(
                    r#"{{ pairDayDatas(where: {{ pairAddress: "{id}" }}, orderBy: date) {{
                            date dailyTxns reserve0 reserve1 }}
                         pair(id: "{id}") {{ pairHourData(first: 100) {{ hourlyTxns }} }} }}"#
                ),
            )
            .await
            .unwrap();
        let days = data["pairDayDatas"].as_array().unwrap();
        let sum = |v: &[Value], field: &str| -> u64 {
            v.iter()
                .map(|d| d[field].as_str().unwrap().parse::<u64>().unwrap())
                .sum()
        };
        let txs = (pair.mints + pair.burns + pair.swaps.len()) as u64;
        assert_eq!(sum(days, "dailyTxns"), txs, "{id}");
        let hours = data["pair"]["pairHourData"].as_array().unwrap();
        assert_eq!(sum(hours, "hourlyTxns"), txs, "{id}");
        let (d0, d1) = chain.decimals(pair);
        let last = days.last().unwrap();
        assert_eq!(
            (&last["reserve0"], &last["reserve1"]),
            (
                &json!(decimal_string(&Signed::default().add(pair.reserves[0]), d0)),
                &json!(decimal_string(&Signed::default().add(pair.reserves[1]), d1))
            ),
            "{id}"
        );
    }
    let data = server
        .query(NAME, "{ uniswapDayDatas(orderBy: date) { date txCount } }")
        .await
        .unwrap();
    let days = data["uniswapDayDatas"].as_array().unwrap();
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!(days[1]["txCount"], json!(tx_count.to_string()));

    // Queries as the Uniswap info site makes them.
    // Top pairs by liquidity, with nested tokens.
    let data = server
        .query(
            NAME,
            "{ pairs(first: 3, orderBy: reserveUSD, orderDirection: desc) {
                 id reserveUSD token0 { symbol } token1 { symbol } } }",
        )
        .await
        .unwrap();
    let mut by_usd: Vec<(f64, String)> = reserve_usd
        .iter()
        .map(|(id, v)| (v.as_str().unwrap().parse::<f64>().unwrap(), id.clone()))
        .collect();
    by_usd.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
    let top: Vec<&str> = data["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        top,
        by_usd
            .iter()
            .take(3)
            .map(|(_, id)| id.as_str())
            .collect::<Vec<_>>()
    );
    for p in data["pairs"].as_array().unwrap() {
        let pair = &chain.pairs[p["id"].as_str().unwrap()];
        assert_eq!(
            p["token0"]["symbol"],
            json!(chain.tokens[&pair.token0].symbol)
        );
    }

    // Latest swaps of the stable pairs, newest first, with transaction and tokens nested.
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ swaps(first: 10, orderBy: timestamp, orderDirection: desc,
                           where: {{ pair_in: ["{}", "{}"] }}) {{
                     id timestamp transaction {{ id timestamp }}
                     pair {{ id token0 {{ symbol }} token1 {{ symbol }} }} }} }}"#,
                STABLE_PAIRS[0], STABLE_PAIRS[1]
            ),
        )
        .await
        .unwrap();
    let mut stable_swaps: Vec<&SwapModel> = STABLE_PAIRS
        .iter()
        .flat_map(|p| &chain.pairs[*p].swaps)
        .collect();
    stable_swaps.sort_by_key(|s| std::cmp::Reverse(s.block));
    let got = data["swaps"].as_array().unwrap();
    assert_eq!(got.len(), 10);
    let cutoff = chain.timestamps[&stable_swaps[9].block];
    let mut previous = u64::MAX;
    for s in got {
        let ts: u64 = s["timestamp"].as_str().unwrap().parse().unwrap();
        assert!(ts <= previous && ts >= cutoff, "order: {got:?}");
        previous = ts;
        assert_eq!(s["transaction"]["timestamp"], s["timestamp"]);
        let expected = stable_swaps
            .iter()
            .find(|m| m.id == s["id"].as_str().unwrap())
            .expect("a stable pair's swap");
        let pair = &chain.pairs[&expected.pair];
        assert_eq!(
            s["pair"],
            json!({ "id": expected.pair,
                    "token0": { "symbol": chain.tokens[&pair.token0].symbol },
                    "token1": { "symbol": chain.tokens[&pair.token1].symbol } })
        );
    }

    // Token search and a token's pairs through @derivedFrom.
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ tokens(where: {{ symbol_contains: "USD" }}, orderBy: symbol) {{ symbol }}
                     token(id: "{WETH}") {{ pairBase(orderBy: id) {{ id }} pairQuote(orderBy: id) {{ id }} }} }}"#
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        data["tokens"],
        json!([{ "symbol": "USDC" }, { "symbol": "USDT" }])
    );
    let side = |k: usize| -> Vec<Value> {
        chain
            .pairs
            .iter()
            .filter(|(_, p)| [&p.token0, &p.token1][k] == WETH)
            .map(|(id, _)| json!({ "id": id }))
            .collect()
    };
    assert_eq!(data["token"]["pairBase"], json!(side(0)));
    assert_eq!(data["token"]["pairQuote"], json!(side(1)));

    // A user's positions: mints filtered by a Bytes field, and a pair's derived mints.
    let (user, user_mints) = chain
        .mints
        .values()
        .fold(BTreeMap::<String, Vec<String>>::new(), |mut m, mint| {
            m.entry(mint["to"].as_str().unwrap().to_string())
                .or_default()
                .push(mint["id"].as_str().unwrap().to_string());
            m
        })
        .into_iter()
        .max_by_key(|(_, v)| v.len())
        .unwrap();
    let data = server
        .query(
            NAME,
            &format!(
                r#"{{ mints(first: 1000, where: {{ to: "{user}" }}, orderBy: id) {{ id pair {{ id mints(first: 1000) {{ id }} }} }} }}"#
            ),
        )
        .await
        .unwrap();
    let got: Vec<&str> = data["mints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, user_mints);
    for m in data["mints"].as_array().unwrap() {
        let pair = &chain.pairs[m["pair"]["id"].as_str().unwrap()];
        assert_eq!(m["pair"]["mints"].as_array().unwrap().len(), pair.mints);
    }
}

/// The pairs' final reserves, in the shape of the time-travel query.
fn got_pairs_at_end(pairs: &[Value]) -> Vec<Value> {
    pairs
        .iter()
        .map(|p| json!({ "id": p["id"], "reserve0": p["reserve0"], "reserve1": p["reserve1"] }))
        .collect()
}

/// Asserts a BigDecimal string is within 1e-12 (relative) of `expected`.
fn assert_close(got: &Value, expected: f64, what: &str) {
    let value: f64 = got
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {got}"))
        .parse()
        .unwrap();
    assert!(
        (value - expected).abs() <= expected.abs() * 1e-12,
        "{what}: got {value}, expected {expected}"
    );
}

struct TokenModel {
    symbol: String,
    name: String,
    decimals: u32,
    /// `totalSupply()` at the block of the token's first PairCreated.
    supply_when_seen: U256,
}

struct SwapModel {
    id: String,
    tx: String,
    pair: String,
    block: u64,
    log_index: u64,
    sender: String,
    to: String,
    amounts_in: [U256; 2],
    amounts_out: [U256; 2],
}

struct PairModel {
    token0: String,
    token1: String,
    created_at: u64,
    reserves: [U256; 2],
    total_supply: U256,
    mints: usize,
    burns: usize,
    swaps: Vec<SwapModel>,
}

#[derive(Default)]
struct TxModel {
    block: u64,
    mints: usize,
    burns: usize,
    swaps: usize,
}

/// What the chain says, read from raw logs and calls.
struct Chain {
    /// PairCreated events, stored pairs or not.
    pair_created: usize,
    tokens: BTreeMap<String, TokenModel>,
    pairs: BTreeMap<String, PairModel>,
    transactions: BTreeMap<String, TxModel>,
    mints: BTreeMap<String, Value>,
    burns: BTreeMap<String, Value>,
    users: BTreeSet<String>,
    timestamps: BTreeMap<u64, u64>,
    tx_from: BTreeMap<String, String>,
}

impl Chain {
    async fn read(url: &str, last_block: u64) -> Chain {
        let mut chain = Chain {
            pair_created: 0,
            tokens: BTreeMap::new(),
            pairs: BTreeMap::new(),
            transactions: BTreeMap::new(),
            mints: BTreeMap::new(),
            burns: BTreeMap::new(),
            users: BTreeSet::new(),
            timestamps: BTreeMap::new(),
            tx_from: BTreeMap::new(),
        };
        for log in logs(url, FACTORY, last_block).await {
            assert_eq!(
                log.topics[0],
                topic0("PairCreated(address,address,address,uint256)")
            );
            chain.pair_created += 1;
            let token0 = to_hex(&log.topics[1][12..]);
            let token1 = to_hex(&log.topics[2][12..]);
            let mut new_tokens = Vec::new();
            for token in [&token0, &token1] {
                if !chain.tokens.contains_key(token) {
                    new_tokens.push((
                        token.clone(),
                        token_model(url, token, log.block_number).await,
                    ));
                }
            }
            // handleNewPair returns, storing neither the pair nor its new tokens, when a token's
            // decimals() reverts; the pair's own events then have no data source.
            let Some(new_tokens) = new_tokens
                .into_iter()
                .map(|(id, model)| model.map(|m| (id, m)))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            chain.tokens.extend(new_tokens);
            let pair = to_hex(&log.data[12..32]);
            let reserves = call(url, &pair, "getReserves()", "latest").await;
            let total_supply = call(url, &pair, "totalSupply()", "latest").await;
            chain.pairs.insert(
                pair,
                PairModel {
                    token0,
                    token1,
                    created_at: log.block_number,
                    reserves: [word(&reserves, 0), word(&reserves, 1)],
                    total_supply: word(&total_supply, 0),
                    mints: 0,
                    burns: 0,
                    swaps: Vec::new(),
                },
            );
        }

        // Every pair's logs in chain order, as the subgraph sees them.
        let mut all = Vec::new();
        for pair in chain.pairs.keys() {
            all.extend(logs(url, pair, last_block).await);
        }
        all.sort_by_key(|l| (l.block_number, l.log_index));
        let transfer = topic0("Transfer(address,address,uint256)");
        let mint = topic0("Mint(address,uint256,uint256)");
        let burn = topic0("Burn(address,uint256,uint256,address)");
        let swap = topic0("Swap(address,uint256,uint256,uint256,uint256,address)");
        // The LP amount of the current transaction's pending mint or burn.
        let mut liquidity: BTreeMap<String, U256> = BTreeMap::new();
        for log in &all {
            let tx = to_hex(&log.transaction_hash);
            let pair = chain.pairs.get_mut(&log.address).unwrap();
            let topic = &log.topics[0];
            if *topic == transfer {
                let from = to_hex(&log.topics[1][12..]);
                let to = to_hex(&log.topics[2][12..]);
                let value = word(&log.data, 0);
                if to == ZERO && value == U256::from(1000) {
                    continue; // MINIMUM_LIQUIDITY's mint: the subgraph ignores it
                }
                chain.users.insert(from.clone());
                chain.users.insert(to.clone());
                let t = chain.transactions.entry(tx.clone()).or_default();
                t.block = log.block_number;
                if from == ZERO || to == log.address {
                    liquidity.insert(tx.clone(), value);
                }
            } else if *topic == mint {
                let t = chain.transactions.get_mut(&tx).expect("a Transfer first");
                let id = format!("{tx}-{}", t.mints);
                t.mints += 1;
                pair.mints += 1;
                let (d0, d1) = (
                    chain.tokens[&pair.token0].decimals,
                    chain.tokens[&pair.token1].decimals,
                );
                chain.mints.insert(
                    id.clone(),
                    json!({
                        "id": id, "pair": { "id": log.address },
                        "to": mint_recipient(&all, log),
                        "sender": to_hex(&log.topics[1][12..]),
                        "liquidity": dec(liquidity[&tx], 18),
                        "amount0": dec(word(&log.data, 0), d0),
                        "amount1": dec(word(&log.data, 1), d1),
                    }),
                );
            } else if *topic == burn {
                let t = chain.transactions.get_mut(&tx).expect("a Transfer first");
                let id = format!("{tx}-{}", t.burns);
                t.burns += 1;
                pair.burns += 1;
                let (d0, d1) = (
                    chain.tokens[&pair.token0].decimals,
                    chain.tokens[&pair.token1].decimals,
                );
                chain.burns.insert(
                    id.clone(),
                    json!({
                        "id": id, "pair": { "id": log.address },
                        // The burn is made by the LP's transfer to the pair; the Burn event only
                        // completes its amounts, and `needsComplete` is never cleared upstream.
                        "sender": burn_sender(&all, log),
                        "liquidity": dec(liquidity[&tx], 18),
                        "amount0": dec(word(&log.data, 0), d0),
                        "amount1": dec(word(&log.data, 1), d1),
                        "needsComplete": true,
                    }),
                );
            } else if *topic == swap {
                let t = chain.transactions.entry(tx.clone()).or_default();
                t.block = log.block_number;
                let id = format!("{tx}-{}", t.swaps);
                t.swaps += 1;
                pair.swaps.push(SwapModel {
                    id,
                    tx: tx.clone(),
                    pair: log.address.clone(),
                    block: log.block_number,
                    log_index: log.log_index,
                    sender: to_hex(&log.topics[1][12..]),
                    to: to_hex(&log.topics[2][12..]),
                    amounts_in: [word(&log.data, 0), word(&log.data, 1)],
                    amounts_out: [word(&log.data, 2), word(&log.data, 3)],
                });
            }
        }
        let blocks: BTreeSet<u64> = chain
            .pairs
            .values()
            .map(|p| p.created_at)
            .chain(all.iter().map(|l| l.block_number))
            .collect();
        // Block timestamps and transaction senders, in one JSON-RPC batch each.
        let blocks: Vec<u64> = blocks.into_iter().collect();
        let answers = batch(
            url,
            blocks
                .iter()
                .map(|b| ("eth_getBlockByNumber", json!([format!("0x{b:x}"), false])))
                .collect(),
        )
        .await;
        for (block, answer) in blocks.iter().zip(answers) {
            chain
                .timestamps
                .insert(*block, quantity(&answer["timestamp"]));
        }
        let txs: Vec<String> = chain.transactions.keys().cloned().collect();
        let answers = batch(
            url,
            txs.iter()
                .map(|tx| ("eth_getTransactionByHash", json!([tx])))
                .collect(),
        )
        .await;
        for (tx, answer) in txs.into_iter().zip(answers) {
            let from = answer["from"].as_str().unwrap().to_lowercase();
            chain.tx_from.insert(tx, from);
        }
        chain
    }

    fn decimals(&self, pair: &PairModel) -> (u32, u32) {
        (
            self.tokens[&pair.token0].decimals,
            self.tokens[&pair.token1].decimals,
        )
    }

    /// `getEthPriceInUSD`: the stable pairs' USD-per-WETH prices weighted by their WETH reserves.
    fn eth_price(&self) -> f64 {
        let mut weighted = 0.0;
        let mut weth_total = 0.0;
        for id in STABLE_PAIRS {
            let pair = &self.pairs[id];
            let (d0, d1) = self.decimals(pair);
            let r0 = pair.reserves[0].to_string().parse::<f64>().unwrap() / 10f64.powi(d0 as i32);
            let r1 = pair.reserves[1].to_string().parse::<f64>().unwrap() / 10f64.powi(d1 as i32);
            let (weth, usd) = if pair.token1 == WETH {
                (r1, r0)
            } else {
                (r0, r1)
            };
            weighted += usd; // price (usd / weth) times weight (weth / total)
            weth_total += weth;
        }
        weighted / weth_total
    }
}

/// The recipient of the LP tokens minted by `mint_log`'s transaction: the `to` of the pair's
/// Transfer from the zero address just before it.
fn mint_recipient(all: &[RawLog], mint_log: &RawLog) -> String {
    let transfer = topic0("Transfer(address,address,uint256)");
    all.iter()
        .rev()
        .skip_while(|l| {
            l.log_index != mint_log.log_index || l.block_number != mint_log.block_number
        })
        .find(|l| {
            l.transaction_hash == mint_log.transaction_hash
                && l.address == mint_log.address
                && l.topics[0] == transfer
                && l.topics[1][12..].iter().all(|b| *b == 0)
                && !l.topics[2][12..].iter().all(|b| *b == 0)
        })
        .map(|l| to_hex(&l.topics[2][12..]))
        .expect("a mint's LP transfer")
}

/// The LP who sent the tokens `burn_log`'s transaction burns: the `from` of the transfer to the
/// pair before it.
fn burn_sender(all: &[RawLog], burn_log: &RawLog) -> String {
    let transfer = topic0("Transfer(address,address,uint256)");
    let pair = hex(&burn_log.address);
    all.iter()
        .find(|l| {
            l.transaction_hash == burn_log.transaction_hash
                && l.address == burn_log.address
                && l.topics[0] == transfer
                && l.topics[2][12..] == pair[..]
        })
        .map(|l| to_hex(&l.topics[1][12..]))
        .expect("a burn's LP transfer to the pair")
}

fn dec(v: U256, decimals: u32) -> String {
    decimal_string(&Signed::default().add(v), decimals)
}

fn word(data: &[u8], i: usize) -> U256 {
    U256::from_be_slice(&data[32 * i..32 * (i + 1)])
}

/// One JSON-RPC batch; the results in request order.
async fn batch(url: &str, calls: Vec<(&str, Value)>) -> Vec<Value> {
    let requests: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, (method, params))| {
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        })
        .collect();
    let answers: Vec<Value> = client()
        .post(url)
        .json(&requests)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut results = vec![Value::Null; calls.len()];
    for answer in answers {
        assert!(answer.get("error").is_none(), "{answer}");
        results[answer["id"].as_u64().unwrap() as usize] = answer["result"].clone();
    }
    results
}

/// One HTTP client for the test's own reads: making one per request costs more than the request.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// Raw `eth_call` of a no-argument function; empty on revert.
async fn call(url: &str, to: &str, signature: &str, block: &str) -> Vec<u8> {
    let selector = to_hex(&topic0(signature)[..4]);
    let body: Value = client()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                      "params": [{ "to": to, "data": selector }, block]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    match body["result"].as_str() {
        Some(result) => hex(result),
        None => Vec::new(), // reverted
    }
}

/// A token as the subgraph's helpers read it: `symbol()`/`name()` as a string, else as bytes32,
/// else "unknown"; DGD from the subgraph's static table. `None` if `decimals()` reverts.
async fn token_model(url: &str, token: &str, first_seen: u64) -> Option<TokenModel> {
    let at = format!("0x{first_seen:x}");
    let text = |raw: Vec<u8>| -> String {
        if let Ok(DynSolValue::String(s)) = DynSolType::String.abi_decode(&raw) {
            return s;
        }
        if raw.len() == 32 {
            return String::from_utf8(raw.into_iter().take_while(|b| *b != 0).collect()).unwrap();
        }
        "unknown".to_string()
    };
    let decimals = call(url, token, "decimals()", &at).await;
    if decimals.is_empty() {
        return None;
    }
    let decimals = word(&decimals, 0).to::<u32>();
    let supply_when_seen = word(&call(url, token, "totalSupply()", &at).await, 0);
    if token == DGD {
        return Some(TokenModel {
            symbol: "DGD".into(),
            name: "DGD".into(),
            decimals: 9,
            supply_when_seen,
        });
    }
    Some(TokenModel {
        symbol: text(call(url, token, "symbol()", &at).await),
        name: text(call(url, token, "name()", &at).await),
        decimals,
        supply_when_seen,
    })
}
