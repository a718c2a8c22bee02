#!/usr/bin/env node
// Deploys the example Token on a fresh anvil and fills the chain with its events.
//
//   node examples/erc20/scripts/emit.mjs [RPC_URL] [TRANSFERS]
//   (or env RPC_URL, TRANSFERS; defaults http://127.0.0.1:8545 and 3000)
//
// Chain layout (deterministic, see ../../lib/chain.mjs):
//   block 1        deploy Token from account 0 -> 0x5FbDB2315678afecb367f032d93F642f64180aa3
//   blocks 2..5    mint to accounts 0..3
//   next 6 blocks  memo() calls: empty string/bytes, int64 min/max, non-ASCII text
//   then           TRANSFERS transfers between the 10 default accounts (self-transfers,
//                  zero-value ones, whole balances); most blocks hold one transaction, every
//                  25th block holds three
//   then           transferMany (3 Transfer logs in one tx), approve (an Approval log, which the
//                  subgraph ignores) + transferFrom, two burns, and one reverted transfer
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode, prng, rpcUrlFromArgs } from "../../lib/chain.mjs";

const EXPECTED_ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const E18 = 10n ** 18n;

const url = rpcUrlFromArgs();
const transfers = Number(process.argv[3] || process.env.TRANSFERS || 3000);
const started = Date.now();

const chain = new Chain(url);
await chain.start();
try {
  const acct = chain.accounts;
  const sel = await chain.selectors([
    "mint(address,uint256)",
    "burn(uint256)",
    "transfer(address,uint256)",
    "transferMany(address[],uint256[])",
    "approve(address,uint256)",
    "transferFrom(address,address,uint256)",
    "memo(string,bytes,int64,bool)",
  ]);

  // Deploy.
  const deployHash = await chain.tx(acct[0], null, bytecode(new URL("../contracts/out/Token.bin", import.meta.url)), {
    gas: 3_000_000,
    label: "deploy",
  });
  const token = (await chain.receipt(deployHash)).contractAddress;
  if (token.toLowerCase() !== EXPECTED_ADDRESS) {
    throw new Error(`Token deployed at ${token}, expected ${EXPECTED_ADDRESS}`);
  }

  // Balances as the contract will hold them, to keep every planned transfer valid.
  const balance = new Map(acct.map((a) => [a, 0n]));
  let totalSupply = 0n;
  let transferLogs = 0;

  const mints = [1_000_000n * E18, 500_000n * E18, 250_000n * E18, 123_456_789_000_000_000_000_001n];
  for (let i = 0; i < mints.length; i++) {
    await chain.tx(acct[i], token, sel.mint + encode(["address", "uint256"], [acct[i], mints[i]]), { label: "mint" });
    balance.set(acct[i], balance.get(acct[i]) + mints[i]);
    totalSupply += mints[i];
    transferLogs += 1;
  }

  const I64_MIN = -(2n ** 63n);
  const I64_MAX = 2n ** 63n - 1n;
  const memos = [
    ["", "0x", 0n, false],
    ["hello", "0xdeadbeef", 42n, true],
    ["héllo wörld ✓ 漢字 🇧🇷", "0x00ff00ff", -1n, true],
    ["int64 min", "0x", I64_MIN, false],
    ["int64 max", "0x" + "ab".repeat(70), I64_MAX, true],
    ["a longer memo that does not fit in a single 32-byte ABI word, to exercise padding", "0x01", -123456789n, false],
  ];
  for (let i = 0; i < memos.length; i++) {
    await chain.tx(acct[i % 10], token, sel.memo + encode(["string", "bytes", "int64", "bool"], memos[i]), {
      gas: 300_000,
      label: "memo",
    });
  }

  // Transfers.
  const rand = prng(0x5eed);
  const move = (from, to, value) => {
    balance.set(from, balance.get(from) - value);
    balance.set(to, balance.get(to) + value);
    transferLogs += 1;
  };
  let selfTransfers = 0;
  let zeroTransfers = 0;
  for (let i = 0; i < transfers; ) {
    const inBlock = chain.block % 25 === 0 ? Math.min(3, transfers - i) : 1;
    for (let k = 0; k < inBlock; k++, i++) {
      const from = acct[Math.floor(rand() * 10)];
      const to = i % 97 === 0 ? from : acct[Math.floor(rand() * 10)];
      const have = balance.get(from);
      let value;
      if (i % 53 === 0) value = 0n;
      else if (i % 211 === 0) value = have;
      else value = (have * BigInt(Math.floor(rand() * 400))) / 1000n + BigInt(Math.floor(rand() * 1000));
      if (value > have) value = have;
      if (from === to) selfTransfers += 1;
      if (value === 0n) zeroTransfers += 1;
      await chain.send(from, token, sel.transfer + encode(["address", "uint256"], [to, value]), { gas: 100_000, label: "transfer" });
      move(from, to, value);
    }
    await chain.mine();
  }

  // One transaction, three Transfer logs.
  {
    const from = acct[0];
    const tos = [acct[7], acct[8], acct[7]];
    const values = [E18, 2n * E18, 3n * E18];
    await chain.tx(from, token, sel.transferMany + encode(["address[]", "uint256[]"], [tos, values]), { label: "transferMany" });
    tos.forEach((to, k) => move(from, to, values[k]));
  }
  // Approval (not handled by the subgraph) and transferFrom in the same block.
  await chain.send(acct[1], token, sel.approve + encode(["address", "uint256"], [acct[9], 10n * E18]), { label: "approve" });
  await chain.send(acct[9], token, sel.transferFrom + encode(["address", "address", "uint256"], [acct[1], acct[6], 4n * E18]), {
    label: "transferFrom",
  });
  await chain.mine();
  move(acct[1], acct[6], 4n * E18);
  // Burns.
  for (const [who, value] of [[acct[0], 1000n * E18], [acct[2], balance.get(acct[2]) / 2n]]) {
    await chain.tx(who, token, sel.burn + encode(["uint256"], [value]), { label: "burn" });
    balance.set(who, balance.get(who) - value);
    totalSupply -= value;
    transferLogs += 1;
  }
  // A transfer of more than the sender holds: mined with status 0 and no logs.
  await chain.tx(acct[5], token, sel.transfer + encode(["address", "uint256"], [acct[4], balance.get(acct[5]) + 1n]), {
    gas: 100_000,
    revert: true,
    label: "reverted transfer",
  });

  await chain.verify();

  const summary = {
    rpc: url,
    token,
    lastBlock: chain.block,
    transactions: chain.sent.length,
    transferLogs,
    memoLogs: memos.length,
    selfTransfers,
    zeroTransfers,
    totalSupply: totalSupply.toString(),
    balances: Object.fromEntries(acct.map((a) => [a, balance.get(a).toString()])),
    seconds: (Date.now() - started) / 1000,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await chain.stop();
}
