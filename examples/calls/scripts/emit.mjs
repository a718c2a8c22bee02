#!/usr/bin/env node
// Deploys the example Registry and Caller on a fresh anvil and calls `register` in every way that
// matters to call handlers.
//
//   node examples/calls/scripts/emit.mjs [RPC_URL]
//   (or env RPC_URL; default http://127.0.0.1:8545)
//
// Chain layout (deterministic, see ../../lib/chain.mjs):
//   block 1   deploy Registry from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   block 2   deploy Caller from account 0   -> 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512
//   block 3   register(1) directly; registerVia(2) (an internal call); registerTwice(3) (ids 3, 4)
//   block 4   tryRegister(0): the inner call reverts and is caught, the transaction succeeds;
//             register(0) directly: the transaction fails; registerThenRevert(5): the inner call
//             succeeds, then the transaction fails
//   block 5   readTotal: a staticcall of the view total()
//   block 6   spawn(): a child Registry (followed through the ChildRegistry template); then
//             register(10) on the child and register(11) on the Registry, in the same block
//   block 7   registerVia(child, 12)
//   block 8   empty
// Prints a JSON summary on stdout: addresses, accounts, and every transaction by label.
import { Chain, bytecode, encode, rpcUrlFromArgs } from "../../lib/chain.mjs";

const EXPECTED = ["0x5fbdb2315678afecb367f032d93f642f64180aa3", "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"];
const url = rpcUrlFromArgs();
const started = Date.now();

const chain = new Chain(url);
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors([
    "register(uint256,string)",
    "registerVia(address,uint256,string)",
    "registerTwice(address,uint256,string)",
    "tryRegister(address,uint256,string)",
    "registerThenRevert(address,uint256,string)",
    "readTotal(address)",
    "spawn()",
  ]);
  const out = (name) => new URL(`../contracts/out/${name}`, import.meta.url);
  const deployed = [];
  for (const name of ["Registry", "Caller"]) {
    const hash = await chain.tx(acct[0], null, bytecode(out(`${name}.bin`)), { gas: 3_000_000, label: `deploy ${name}` });
    deployed.push((await chain.receipt(hash)).contractAddress.toLowerCase());
  }
  if (deployed.join() !== EXPECTED.join()) throw new Error(`deployed at ${deployed}, expected ${EXPECTED}`);
  const [registry, caller] = deployed;
  // The Caller's first CREATE (contract nonces start at 1): keccak256(rlp([caller, 1]))[12..].
  const child = "0x" + (await chain.call("web3_sha3", ["0xd694" + caller.slice(2) + "01"])).slice(26);

  const txs = {};
  const send = async (label, from, to, data, revert = false) => {
    txs[label] = { hash: await chain.send(from, to, data, { gas: 500_000, label, revert }), block: chain.block + 1 };
  };
  const args = (id, name) => encode(["uint256", "string"], [id, name]);
  const via = (target, id, name) => encode(["address", "uint256", "string"], [target, id, name]);

  await send("register 1", acct[1], registry, sel.register + args(1n, "one"));
  await send("registerVia 2", acct[2], caller, sel.registerVia + via(registry, 2n, "two"));
  await send("registerTwice 3", acct[3], caller, sel.registerTwice + via(registry, 3n, "three"));
  await chain.mine();

  await send("tryRegister 0", acct[1], caller, sel.tryRegister + via(registry, 0n, "zero"));
  await send("register 0", acct[2], registry, sel.register + args(0n, "zero"), true);
  await send("registerThenRevert 5", acct[3], caller, sel.registerThenRevert + via(registry, 5n, "five"), true);
  await chain.mine();

  await send("readTotal", acct[1], caller, sel.readTotal + encode(["address"], [registry]));
  await chain.mine();

  await send("spawn", acct[4], caller, sel.spawn);
  await send("child register 10", acct[5], child, sel.register + args(10n, "ten"));
  await send("register 11", acct[6], registry, sel.register + args(11n, "eleven"));
  await chain.mine();

  await send("child registerVia 12", acct[7], caller, sel.registerVia + via(child, 12n, "twelve"));
  await chain.mine();
  await chain.mine();

  await chain.verify();
  const code = await chain.call("eth_getCode", [child, "latest"]);
  if (code === "0x") throw new Error(`no child registry at ${child}`);
  console.log(
    JSON.stringify({
      registry,
      caller,
      child,
      accounts: acct.map((a) => a.toLowerCase()),
      transactions: txs,
      lastBlock: chain.block,
      seconds: (Date.now() - started) / 1000,
    }),
  );
} finally {
  await chain.stop();
}
