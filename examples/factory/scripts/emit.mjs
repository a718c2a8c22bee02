#!/usr/bin/env node
// Deploys the example Factory on a fresh anvil, creates three Pairs and bumps them.
//
//   node examples/factory/scripts/emit.mjs [RPC_URL] [BUMPS]
//   (or env RPC_URL, BUMPS; defaults http://127.0.0.1:8545 and 30)
//
// Chain layout (deterministic, see ../../lib/chain.mjs):
//   block 1   deploy Factory from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   block 2   createPair("alpha")        block 3   createPair("beta")
//   then      BUMPS/2 bumps of alpha and beta, from several callers; one block bumps beta twice
//   then      one block with createPair("gamma ✓") followed by a bump of gamma (its address is
//             predicted, so the bump lands in the block that creates the pair)
//   then      the other BUMPS/2 bumps across all three pairs, one block bumping two pairs
//   then      a Pair deployed directly (not by the Factory) and bumped: the subgraph must ignore it
//   then      two empty blocks (only the block handler fires)
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode, rpcUrlFromArgs } from "../../lib/chain.mjs";

const EXPECTED_ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const url = rpcUrlFromArgs();
const bumps = Number(process.argv[3] || process.env.BUMPS || 30);
const started = Date.now();

const chain = new Chain(url);
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors(["createPair(string)", "bump(uint256)", "count()"]);

  const deployHash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Factory.bin", import.meta.url)), {
    gas: 3_000_000,
    label: "deploy Factory",
  });
  const factory = (await chain.receipt(deployHash)).contractAddress;
  if (factory.toLowerCase() !== EXPECTED_ADDRESS) {
    throw new Error(`Factory deployed at ${factory}, expected ${EXPECTED_ADDRESS}`);
  }

  // CREATE address of the factory's n-th deployment (contract nonces start at 1): keccak256(rlp([factory, n]))[12..].
  const createAddress = async (deployer, nonce) => {
    if (nonce < 1 || nonce > 0x7f) throw new Error("createAddress: nonce out of range");
    const rlp = "0xd694" + deployer.slice(2).toLowerCase() + nonce.toString(16).padStart(2, "0");
    return "0x" + (await chain.call("web3_sha3", [rlp])).slice(26);
  };

  const pairs = [];
  const createPair = async (from, label) => {
    const address = await createAddress(factory, pairs.length + 1);
    await chain.send(from, factory, sel.createPair + encode(["string"], [label]), { gas: 1_000_000, label: "createPair" });
    pairs.push({ address, label, count: 0n, bumps: 0 });
    return pairs[pairs.length - 1];
  };
  const bump = async (from, pair, by) => {
    await chain.send(from, pair.address, sel.bump + encode(["uint256"], [by]), { gas: 100_000, label: "bump" });
    pair.count += by;
    pair.bumps += 1;
  };

  await createPair(acct[0], "alpha");
  await chain.mine();
  await createPair(acct[1], "beta");
  await chain.mine();

  const firstHalf = Math.floor(bumps / 2);
  for (let i = 0; i < firstHalf; i++) {
    await bump(acct[i % 10], pairs[i % 2], BigInt(i + 1));
    if (i === 3) await bump(acct[9], pairs[i % 2], 1000n); // a second bump of the same pair in this block
    await chain.mine();
  }

  const gamma = await createPair(acct[2], "gamma ✓");
  await bump(acct[3], gamma, 7n);
  await chain.mine();

  for (let i = firstHalf; i < bumps; i++) {
    await bump(acct[(i * 3) % 10], pairs[i % 3], BigInt(i * i + 1));
    if (i === firstHalf) await bump(acct[4], pairs[(i + 1) % 3], 5n); // two pairs bumped in one block
    await chain.mine();
  }

  // A Pair the Factory did not create: its Bumped events are not the subgraph's.
  const strayHash = await chain.tx(
    acct[5],
    null,
    bytecode(new URL("../contracts/out/Pair.bin", import.meta.url)) + encode(["string"], ["stray"]),
    { gas: 1_000_000, label: "deploy stray Pair" },
  );
  const stray = (await chain.receipt(strayHash)).contractAddress;
  await chain.tx(acct[5], stray, sel.bump + encode(["uint256"], [99n]), { label: "stray bump" });

  await chain.mine();
  await chain.mine();

  await chain.verify();

  // Pair addresses as the chain reports them, and count() as the contracts hold it.
  const logs = await chain.call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: factory }]);
  const created = logs.map((l) => "0x" + l.topics[1].slice(26));
  const counts = await chain.batch(pairs.map((p) => ["eth_call", [{ to: p.address, data: sel.count }, "latest"]]));
  pairs.forEach((p, i) => {
    if (created[i] !== p.address) throw new Error(`pair ${i}: predicted ${p.address}, PairCreated says ${created[i]}`);
    if (BigInt(counts[i]) !== p.count) throw new Error(`pair ${p.label}: count() ${BigInt(counts[i])}, expected ${p.count}`);
  });

  const summary = {
    rpc: url,
    factory,
    pairs: pairs.map((p) => ({ address: p.address, label: p.label, count: p.count.toString(), bumps: p.bumps })),
    strayPair: stray,
    lastBlock: chain.block,
    transactions: chain.sent.length,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await chain.stop();
}
