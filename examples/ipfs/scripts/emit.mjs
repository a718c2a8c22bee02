#!/usr/bin/env node
// Deploys the example Files contract on a fresh anvil and publishes the given CIDs, one block
// each, from alternating accounts.
//
//   node examples/ipfs/scripts/emit.mjs RPC_URL CID...
//
// Chain layout (deterministic for the same CIDs, see ../../lib/chain.mjs):
//   block 1       deploy Files from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   block 1 + i   publish(CID i) from account i % 3
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode } from "../../lib/chain.mjs";

const EXPECTED_ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const [url, ...cids] = process.argv.slice(2);
if (!url) throw new Error("usage: emit.mjs RPC_URL CID...");

const chain = new Chain(url);
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors(["publish(string)"]);
  const deployHash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Files.bin", import.meta.url)), {
    gas: 1_000_000,
    label: "deploy Files",
  });
  const files = (await chain.receipt(deployHash)).contractAddress;
  if (files.toLowerCase() !== EXPECTED_ADDRESS) {
    throw new Error(`Files deployed at ${files}, expected ${EXPECTED_ADDRESS}`);
  }
  const published = [];
  for (const [i, cid] of cids.entries()) {
    const from = acct[i % 3];
    await chain.tx(from, files, sel.publish + encode(["string"], [cid]), { gas: 200_000, label: "publish" });
    published.push({ cid, author: from.toLowerCase(), block: chain.block });
  }
  await chain.verify();
  console.log(JSON.stringify({ rpc: url, files, published, lastBlock: chain.block }, null, 2));
} finally {
  await chain.stop();
}
