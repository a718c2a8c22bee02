#!/usr/bin/env node
// Deploys the example Registry on a fresh anvil, lists eight tokens and renames one.
//
//   node examples/fulltext/scripts/emit.mjs [RPC_URL]
//
// Chain layout (one transaction per block):
//   block 1        deploy Registry from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   blocks 2..9    list tokens 1..8 (TOKENS below)
//   block 10       rename token 6 to "durian"
// Prints a JSON summary on stdout: the tokens and the rename's block.
import { Chain, bytecode, encode, rpcUrlFromArgs } from "../../lib/chain.mjs";

const EXPECTED_ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

// Names chosen for the search checks: stems (running/runner), prefixes (uni...), and three
// names of three words whose ranks differ only in how often `apple` occurs.
const TOKENS = [
  [1, "Running Shoes", "RUN"],
  [2, "Runner Token", "RNR"],
  [3, "Wrapped Ether", "WETH"],
  [4, "Uniswap", "UNI"],
  [5, "Unicorn", "HORN"],
  [6, "apple banana cherry", "FRT1"],
  [7, "apple apple cherry", "FRT2"],
  [8, "apple kiwi mango", "FRT3"],
];

const chain = new Chain(rpcUrlFromArgs());
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors(["list(uint256,string,string)", "rename(uint256,string)"]);
  const deployHash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Registry.bin", import.meta.url)), {
    gas: 1_000_000,
    label: "deploy",
  });
  const registry = (await chain.receipt(deployHash)).contractAddress;
  if (registry.toLowerCase() !== EXPECTED_ADDRESS) {
    throw new Error(`Registry deployed at ${registry}, expected ${EXPECTED_ADDRESS}`);
  }
  for (const [id, name, symbol] of TOKENS) {
    await chain.tx(acct[0], registry, sel.list + encode(["uint256", "string", "string"], [BigInt(id), name, symbol]), {
      label: "list",
    });
  }
  await chain.tx(acct[0], registry, sel.rename + encode(["uint256", "string"], [6n, "durian"]), { label: "rename" });
  await chain.verify();
  console.log(
    JSON.stringify({
      tokens: TOKENS.map(([id, name, symbol]) => ({ id: String(id), name, symbol })),
      renameBlock: chain.block,
      head: chain.block,
    }),
  );
} finally {
  await chain.stop();
}
