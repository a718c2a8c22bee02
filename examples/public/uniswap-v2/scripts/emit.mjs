#!/usr/bin/env node
// Fills a fresh anvil with Uniswap v2 activity for the vendored mainnet subgraph.
//
//   node_modules/.bin/anvil --number 10000834 --timestamp 1700006100 --silent &
//   node examples/public/uniswap-v2/scripts/emit.mjs [RPC_URL] [STEPS]
//   (or env RPC_URL, STEPS; defaults http://127.0.0.1:8545 and 200)
//
// The subgraph is built from upstream's unmodified `ethereum` config, so it starts at mainnet
// block 10000834 and hard-codes mainnet addresses. anvil's genesis is therefore numbered 10000834
// (`--number`), and the stand-in contracts (../contracts/UniswapV2.sol) are placed at those
// addresses with anvil_setCode: the factory, WETH, USDC, USDT, DAI, MKR (bytes32 metadata), DGD
// (no name/symbol on chain: the subgraph has a static definition for it) and the USDC/WETH and
// WETH/USDT pairs the subgraph prices ETH from. Pairs and tokens without a mainnet role are
// deployed normally. `--timestamp 1700006100` is 300 s before a UTC midnight, so the activity
// spans two days and two hours (the subgraph's day and hour aggregates).
//
// Chain layout (deterministic: fixed PRNG seed, see ../../../lib/chain.mjs):
//   block +1  deploy the contracts' code (then anvil_setCode copies it to the mainnet addresses)
//   block +2  initialize and mint the tokens; users approve the router
//   block +3  the factory registers the two stable pairs and creates five more, and one of a
//             token without decimals()
//   block +4  users approve the router for every pair's LP token; more tokens minted
//   block +5  initial liquidity in every pair
//   then      STEPS random transactions, up to four per block from distinct users: swaps (some
//             two-hop), liquidity added and removed, LP tokens transferred, donations + sync
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode, prng, rpcUrlFromArgs } from "../../../lib/chain.mjs";

export const GENESIS = 10000834;

// Mainnet addresses the subgraph hard-codes (config/ethereum/chain.ts and config.json).
const FACTORY = "0x5c69bee701ef814a2b6a3edd4b1652cb9cc5aa6f";
const MAINNET_TOKENS = {
  WETH: "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
  USDC: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
  USDT: "0xdac17f958d2ee523a2206206994597c13d831ec7",
  DAI: "0x6b175474e89094c44da98b954eedeac495271d0f",
  MKR: "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2",
  DGD: "0xe0b7927c4af23765cb51314a0e0521a9645f0e2a",
};
const STABLE_PAIRS = {
  "USDC/WETH": "0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc",
  "WETH/USDT": "0x0d4a11d5eeaac28ec3f61d100daf4d40471f1852",
};

const url = rpcUrlFromArgs();
const steps = Number(process.argv[3] || process.env.STEPS || 200);
const started = Date.now();
const out = (name) => new URL(`../contracts/out/${name}.bin`, import.meta.url);

const chain = new Chain(url);
await chain.start(GENESIS);
try {
  const acct = chain.accounts;
  const users = acct.slice(1);
  const sel = await chain.selectors([
    "mint(address,uint256)",
    "approve(address,uint256)",
    "transfer(address,uint256)",
    "balanceOf(address)",
    "totalSupply()",
    "adoptPair(address,address,address)",
    "createPair(address,address)",
    "getPair(address,address)",
    "getReserves()",
    "token0()",
    "sync()",
    "addLiquidity(address,uint256,uint256,address)",
    "removeLiquidity(address,uint256,address)",
    "swapExactIn(address[],address,uint256,address)",
  ]);
  // Overloads share a name, which `selectors` keys by: one call each.
  const init = {
    string: (await chain.selectors(["initialize(string,string,uint8)"])).initialize,
    bytes32: (await chain.selectors(["initialize(bytes32,bytes32,uint8)"])).initialize,
    bare: (await chain.selectors(["initialize(uint8)"])).initialize,
  };
  const ethCall = async (to, data) => chain.call("eth_call", [{ to, data }, "latest"]);
  const word = (hex, i) => BigInt("0x" + hex.slice(2 + 64 * i, 2 + 64 * (i + 1)));
  const address = (hex) => "0x" + hex.slice(-40);

  // Block +1: one deployment of each contract; their runtime code is what anvil_setCode copies.
  const names = ["Token", "Bytes32Token", "BareToken", "UniswapV2Pair", "UniswapV2Factory", "Router"];
  const deployHashes = [];
  for (const name of names) {
    deployHashes.push(await chain.send(acct[0], null, bytecode(out(name)), { gas: 5_000_000, label: `deploy ${name}` }));
  }
  await chain.mine();
  const deployed = {};
  for (let i = 0; i < names.length; i++) deployed[names[i]] = (await chain.receipt(deployHashes[i])).contractAddress.toLowerCase();
  const code = {};
  for (const name of names) code[name] = await chain.call("eth_getCode", [deployed[name], "latest"]);
  const router = deployed.Router;

  const place = async (at, name) => chain.call("anvil_setCode", [at, code[name]]);
  await place(FACTORY, "UniswapV2Factory");
  for (const sym of ["WETH", "USDC", "USDT", "DAI"]) await place(MAINNET_TOKENS[sym], "Token");
  await place(MAINNET_TOKENS.MKR, "Bytes32Token");
  await place(MAINNET_TOKENS.DGD, "BareToken");
  for (const pair of Object.values(STABLE_PAIRS)) await place(pair, "UniswapV2Pair");

  // Block +2: token metadata, balances and approvals. The deployed Token and BareToken
  // instances serve as TKN and a metadata-less token at ordinary addresses.
  const tokens = {
    WETH: { address: MAINNET_TOKENS.WETH, name: "Wrapped Ether", symbol: "WETH", decimals: 18 },
    USDC: { address: MAINNET_TOKENS.USDC, name: "USD Coin", symbol: "USDC", decimals: 6 },
    USDT: { address: MAINNET_TOKENS.USDT, name: "Tether USD", symbol: "USDT", decimals: 6 },
    DAI: { address: MAINNET_TOKENS.DAI, name: "Dai Stablecoin", symbol: "DAI", decimals: 18 },
    MKR: { address: MAINNET_TOKENS.MKR, name: "Maker", symbol: "MKR", decimals: 18, bytes32: true },
    DGD: { address: MAINNET_TOKENS.DGD, decimals: 9, bare: true },
    TKN: { address: deployed.Token, name: "Sprig Token", symbol: "TKN", decimals: 18 },
    BARE: { address: deployed.BareToken, decimals: 12, bare: true },
  };
  for (const t of Object.values(tokens)) {
    const data = t.bare
      ? init.bare + encode(["uint8"], [t.decimals])
      : t.bytes32
        ? init.bytes32 + encode(["bytes32", "bytes32", "uint8"], [t.name, t.symbol, t.decimals])
        : init.string + encode(["string", "string", "uint8"], [t.name, t.symbol, t.decimals]);
    await chain.send(acct[0], t.address, data, { gas: 200_000, label: "initialize token" });
  }
  const unit = (t) => 10n ** BigInt(t.decimals);
  const MAX = (1n << 256n) - 1n;
  for (const [i, user] of users.entries()) {
    for (const t of Object.values(tokens)) {
      await chain.send(acct[0], t.address, sel.mint + encode(["address", "uint256"], [user, 10_000_000n * unit(t) * BigInt(i + 1)]), {
        gas: 100_000,
        label: "mint",
      });
      await chain.send(user, t.address, sel.approve + encode(["address", "uint256"], [router, MAX]), { gas: 100_000, label: "approve" });
    }
  }
  await chain.mine();

  // Block +3: pairs. The stable pairs at their mainnet addresses, the others at CREATE2 addresses.
  const pairSpecs = [
    { label: "USDC/WETH", a: "USDC", b: "WETH", at: STABLE_PAIRS["USDC/WETH"], seed: [2_000_000, 1000] },
    { label: "WETH/USDT", a: "WETH", b: "USDT", at: STABLE_PAIRS["WETH/USDT"], seed: [1000, 2_010_000] },
    { label: "DAI/WETH", a: "DAI", b: "WETH", seed: [1_000_000, 500] },
    { label: "MKR/WETH", a: "MKR", b: "WETH", seed: [1000, 700] },
    { label: "TKN/WETH", a: "TKN", b: "WETH", seed: [100_000, 50] },
    { label: "DGD/TKN", a: "DGD", b: "TKN", seed: [5000, 20_000] },
    { label: "BARE/DAI", a: "BARE", b: "DAI", seed: [1_000_000, 30_000] },
  ];
  for (const p of pairSpecs) {
    const [ta, tb] = [tokens[p.a].address, tokens[p.b].address];
    const data = p.at
      ? sel.adoptPair + encode(["address", "address", "address"], [p.at, ta, tb])
      : sel.createPair + encode(["address", "address"], [ta, tb]);
    await chain.send(acct[0], FACTORY, data, { gas: 3_000_000, label: `pair ${p.label}` });
  }
  // A pair whose token answers no decimals() (the router stands in for a non-token): the
  // subgraph counts it in pairCount but bails out before storing the pair or its tokens.
  await chain.send(acct[0], FACTORY, sel.createPair + encode(["address", "address"], [router, tokens.WETH.address]), {
    gas: 3_000_000,
    label: "pair without decimals",
  });
  await chain.mine();
  const undecimaledPair = address(await ethCall(FACTORY, sel.getPair + encode(["address", "address"], [router, tokens.WETH.address])));
  const pairs = [];
  for (const p of pairSpecs) {
    const pairAddress = address(await ethCall(FACTORY, sel.getPair + encode(["address", "address"], [tokens[p.a].address, tokens[p.b].address])));
    if (p.at && pairAddress !== p.at) throw new Error(`${p.label} registered at ${pairAddress}, expected ${p.at}`);
    const token0 = address(await ethCall(pairAddress, sel.token0));
    const [t0, t1] = token0 === tokens[p.a].address ? [p.a, p.b] : [p.b, p.a];
    const [s0, s1] = token0 === tokens[p.a].address ? p.seed : [p.seed[1], p.seed[0]];
    pairs.push({ label: p.label, address: pairAddress, token0: t0, token1: t1, seed: [s0, s1] });
  }

  // Block +4: LP approvals, and more of every token minted, so that a token's supply now differs
  // from the one the subgraph reads (with eth_call) at the block that created its first pair.
  for (const t of Object.values(tokens)) {
    await chain.send(acct[0], t.address, sel.mint + encode(["address", "uint256"], [users[0], 1_000_000n * unit(t)]), { gas: 100_000, label: "mint" });
  }
  for (const user of users) {
    for (const p of pairs) {
      await chain.send(user, p.address, sel.approve + encode(["address", "uint256"], [router, MAX]), { gas: 100_000, label: "approve LP" });
    }
  }
  await chain.mine();

  // Block +5: initial liquidity, each pair from a different user.
  for (const [i, p] of pairs.entries()) {
    const amounts = p.seed.map((s, k) => BigInt(s) * unit(tokens[[p.token0, p.token1][k]]));
    await chain.send(users[i % users.length], router, sel.addLiquidity + encode(["address", "uint256", "uint256", "address"], [p.address, ...amounts, users[i % users.length]]), {
      gas: 400_000,
      label: `seed ${p.label}`,
    });
  }
  await chain.mine();

  const reserves = async (p) => {
    const r = await ethCall(p.address, sel.getReserves);
    return [word(r, 0), word(r, 1)];
  };
  const balance = async (token, owner) => word(await ethCall(token, sel.balanceOf + encode(["address"], [owner])), 0);

  // Random activity. Each user sends at most one transaction per block, so amounts read from
  // the last mined block stay valid when the transaction runs.
  const rand = prng(0x5eed_0002);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const fraction = (x, lo, hi) => (x * BigInt(Math.floor((lo + rand() * (hi - lo)) * 1e6))) / 1_000_000n;
  const byLabel = Object.fromEntries(pairs.map((p) => [p.label, p]));
  const counts = { swaps: 0, twoHopSwaps: 0, adds: 0, removes: 0, lpTransfers: 0, syncs: 0 };
  let sent = 0;
  while (sent < steps) {
    const perBlock = 1 + Math.floor(rand() * 4);
    const free = [...users];
    for (let k = 0; k < perBlock && sent < steps; k++) {
      const user = free.splice(Math.floor(rand() * free.length), 1)[0];
      const p = pick(pairs);
      const r = rand();
      if (r < 0.5) {
        // Swap 0.1% to 3% of the input reserve, either direction.
        const zeroForOne = rand() < 0.5;
        const [r0, r1] = await reserves(p);
        const tokenIn = tokens[zeroForOne ? p.token0 : p.token1].address;
        const amountIn = fraction(zeroForOne ? r0 : r1, 0.001, 0.03);
        await chain.send(user, router, sel.swapExactIn + encode(["address[]", "address", "uint256", "address"], [[p.address], tokenIn, amountIn, pick(users)]), {
          gas: 300_000,
          label: `swap ${p.label}`,
        });
        counts.swaps += 1;
      } else if (r < 0.6) {
        // Two hops in one transaction: TKN -> WETH -> USDC.
        const [tknReserve] = await reserves(byLabel["TKN/WETH"]).then((rs) => (byLabel["TKN/WETH"].token0 === "TKN" ? rs : [rs[1], rs[0]]));
        await chain.send(
          user,
          router,
          sel.swapExactIn +
            encode(["address[]", "address", "uint256", "address"], [[byLabel["TKN/WETH"].address, byLabel["USDC/WETH"].address], tokens.TKN.address, fraction(tknReserve, 0.001, 0.01), user]),
          { gas: 500_000, label: "swap TKN->WETH->USDC" },
        );
        counts.twoHopSwaps += 1;
      } else if (r < 0.75) {
        // Add 1% to 5% of the reserves (the pair mints for the smaller side).
        const [r0, r1] = await reserves(p);
        const share = 0.01 + rand() * 0.04;
        const a0 = fraction(r0, share, share);
        const a1 = fraction(r1, share, share * 1.02);
        await chain.send(user, router, sel.addLiquidity + encode(["address", "uint256", "uint256", "address"], [p.address, a0, a1, user]), {
          gas: 400_000,
          label: `add ${p.label}`,
        });
        counts.adds += 1;
      } else if (r < 0.87) {
        // Remove a third of the user's LP tokens, if any.
        const lp = await balance(p.address, user);
        if (lp < 3n) continue;
        await chain.send(user, router, sel.removeLiquidity + encode(["address", "uint256", "address"], [p.address, lp / 3n, user]), {
          gas: 400_000,
          label: `remove ${p.label}`,
        });
        counts.removes += 1;
      } else if (r < 0.96) {
        // Give half of one's LP tokens to another user.
        const lp = await balance(p.address, user);
        if (lp < 2n) continue;
        await chain.send(user, p.address, sel.transfer + encode(["address", "uint256"], [pick(users), lp / 2n]), { gas: 100_000, label: `LP transfer ${p.label}` });
        counts.lpTransfers += 1;
      } else {
        // A donation then a sync: a Sync event with no Mint, Burn or Swap.
        const t = tokens[p.token0];
        await chain.send(user, t.address, sel.transfer + encode(["address", "uint256"], [p.address, unit(t)]), { gas: 100_000, label: "donate" });
        await chain.send(user, p.address, sel.sync, { gas: 100_000, label: `sync ${p.label}` });
        counts.syncs += 1;
        sent += 1;
      }
      sent += 1;
    }
    await chain.mine();
  }
  await chain.mine();
  await chain.verify();

  const summary = {
    rpc: url,
    genesis: GENESIS,
    factory: FACTORY,
    router,
    tokens: Object.fromEntries(Object.entries(tokens).map(([k, t]) => [k, t.address])),
    pairs: pairs.map((p) => ({ label: p.label, address: p.address, token0: p.token0, token1: p.token1 })),
    undecimaledPair,
    counts,
    lastBlock: chain.block,
    transactions: chain.sent.length,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await chain.stop();
}
