#!/usr/bin/env node
// Deploys the example Files contract on a fresh anvil and publishes the given CIDs, one block
// each, from alternating accounts. An argument `list:CID` publishes CID as a list (`publishList`,
// read by the subgraph with ipfs.map) instead of a file.
//
//   node examples/ipfs/scripts/emit.mjs RPC_URL [--announce|--arweave] CID|list:CID|TXID...
//
// Chain layout (deterministic for the same CIDs, see ../../lib/chain.mjs):
//   block 1       deploy Files from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   block 1 + i   publish(CID i) from account i % 3
// With --announce a second Files contract, the subgraph's `Announcements` (whose handler only
// creates the file data source), is deployed too and the CIDs are published there instead:
//   block 2       deploy Announcements from account 0 -> 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512
//   block 2 + i   publish(CID i) to Announcements from account i % 3
// With --arweave the arguments are Arweave transaction ids (or `<id>/<path>`), published to a
// third Files contract, the subgraph's `ArweaveAnnouncements`, deployed by account 1 (so its
// address does not depend on account 0's transactions):
//   block 2       deploy ArweaveAnnouncements from account 1 -> 0x8464135c8F25Da09e49BC8782676a84730C318bC
//   block 2 + i   publish(TXID i) to ArweaveAnnouncements from account i % 3
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode } from "../../lib/chain.mjs";

const EXPECTED_ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const ANNOUNCEMENTS_ADDRESS = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";
const ARWEAVE_ANNOUNCEMENTS_ADDRESS = "0x8464135c8f25da09e49bc8782676a84730c318bc";
const [url, ...args] = process.argv.slice(2);
if (!url) throw new Error("usage: emit.mjs RPC_URL [--announce|--arweave] CID...");
const announce = args[0] === "--announce";
const arweave = args[0] === "--arweave";
const cids = announce || arweave ? args.slice(1) : args;

const chain = new Chain(url);
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors(["publish(string)", "publishList(string)"]);
  const deployHash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Files.bin", import.meta.url)), {
    gas: 1_000_000,
    label: "deploy Files",
  });
  const files = (await chain.receipt(deployHash)).contractAddress;
  if (files.toLowerCase() !== EXPECTED_ADDRESS) {
    throw new Error(`Files deployed at ${files}, expected ${EXPECTED_ADDRESS}`);
  }
  let target = files;
  if (announce) {
    const hash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Files.bin", import.meta.url)), {
      gas: 1_000_000,
      label: "deploy Announcements",
    });
    target = (await chain.receipt(hash)).contractAddress;
    if (target.toLowerCase() !== ANNOUNCEMENTS_ADDRESS) {
      throw new Error(`Announcements deployed at ${target}, expected ${ANNOUNCEMENTS_ADDRESS}`);
    }
  }
  if (arweave) {
    const hash = await chain.tx(acct[1], null, bytecode(new URL("../contracts/out/Files.bin", import.meta.url)), {
      gas: 1_000_000,
      label: "deploy ArweaveAnnouncements",
    });
    target = (await chain.receipt(hash)).contractAddress;
    if (target.toLowerCase() !== ARWEAVE_ANNOUNCEMENTS_ADDRESS) {
      throw new Error(`ArweaveAnnouncements deployed at ${target}, expected ${ARWEAVE_ANNOUNCEMENTS_ADDRESS}`);
    }
  }
  const published = [];
  for (const [i, arg] of cids.entries()) {
    const from = acct[i % 3];
    const list = arg.startsWith("list:");
    const cid = list ? arg.slice("list:".length) : arg;
    const call = list ? sel.publishList : sel.publish;
    await chain.tx(from, target, call + encode(["string"], [cid]), { gas: 200_000, label: list ? "publishList" : "publish" });
    published.push({ cid, list, author: from.toLowerCase(), block: chain.block });
  }
  await chain.verify();
  console.log(
    JSON.stringify(
      {
        rpc: url,
        files,
        announcements: announce ? target : null,
        arweaveAnnouncements: arweave ? target : null,
        published,
        lastBlock: chain.block,
      },
      null,
      2,
    ),
  );
} finally {
  await chain.stop();
}
