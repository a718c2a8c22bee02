// Helpers shared by the examples' emit scripts: JSON-RPC over fetch, a small ABI encoder, and
// deterministic transaction sending on anvil.
//
// Determinism: mining is switched to manual (evm_setAutomine false) while a script runs and
// every transaction carries an explicit nonce, gas limit and fees, so anvil neither estimates
// nor races: the same script on a fresh anvil yields the same transactions in the same blocks at
// the same positions. Block timestamps advance by exactly TIMESTAMP_INTERVAL seconds per block
// (anvil_setBlockTimestampInterval); start anvil with `--timestamp 1700000000` to pin the
// genesis timestamp too, and then block hashes repeat as well.
import { readFileSync } from "node:fs";

export const TIMESTAMP_INTERVAL = 12;
const MAX_FEE = 3_000_000_000n; // 3 gwei; anvil's base fee starts at 1 gwei and only falls here
const TIP = 1_000_000_000n;

export const hex = (n) => "0x" + BigInt(n).toString(16);
const strip = (h) => (h.startsWith("0x") ? h.slice(2) : h);
const word = (n) => (BigInt.asUintN(256, BigInt(n))).toString(16).padStart(64, "0");
const padRight = (h) => h + "0".repeat((64 - (h.length % 64)) % 64);

/** ABI-encodes `values` as the given Solidity types (the subset the examples use). */
export function encode(types, values) {
  const head = [];
  const tail = [];
  let tailLen = types.length * 32;
  types.forEach((type, i) => {
    const enc = encodeOne(type, values[i]);
    if (enc.dynamic) {
      head.push(word(tailLen));
      tail.push(enc.data);
      tailLen += enc.data.length / 2;
    } else {
      head.push(enc.data);
    }
  });
  return head.join("") + tail.join("");
}

function encodeOne(type, value) {
  if (type.endsWith("[]")) {
    const inner = type.slice(0, -2);
    return { dynamic: true, data: word(value.length) + encode(value.map(() => inner), value) };
  }
  switch (type) {
    case "address":
      return { dynamic: false, data: strip(value).toLowerCase().padStart(64, "0") };
    case "bool":
      return { dynamic: false, data: word(value ? 1 : 0) };
    case "bytes32": // a short string, left-aligned and zero-padded (how MKR spells its symbol)
      return { dynamic: false, data: padRight(Buffer.from(value, "utf8").toString("hex")) };
    case "string":
      return encodeOne("bytes", "0x" + Buffer.from(value, "utf8").toString("hex"));
    case "bytes": {
      const h = strip(value);
      return { dynamic: true, data: word(h.length / 2) + padRight(h) };
    }
    default:
      if (/^u?int\d+$/.test(type)) return { dynamic: false, data: word(value) };
      throw new Error(`encode: unsupported type ${type}`);
  }
}

/** Bytecode (0x-prefixed) of a contract compiled by scripts/build-examples.sh. */
export function bytecode(url) {
  return "0x" + readFileSync(url, "utf8").trim();
}

export function rpcUrlFromArgs() {
  return process.argv[2] || process.env.RPC_URL || "http://127.0.0.1:8545";
}

export class Chain {
  constructor(url) {
    this.url = url;
    this.id = 0;
    this.sent = []; // {hash, block, index, revert, label}
    this.pending = 0; // transactions sent since the last mine
    this.block = 0;
  }

  async post(body) {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${this.url}: HTTP ${res.status}`);
    return res.json();
  }

  async call(method, params = []) {
    const r = await this.post({ jsonrpc: "2.0", id: ++this.id, method, params });
    if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  /** Read-only calls in one JSON-RPC batch (anvil may run them concurrently). */
  async batch(calls) {
    const body = calls.map(([method, params]) => ({ jsonrpc: "2.0", id: ++this.id, method, params }));
    const out = await this.post(body);
    const byId = new Map(out.map((r) => [r.id, r]));
    return body.map((b) => {
      const r = byId.get(b.id);
      if (r.error) throw new Error(`${b.method}: ${JSON.stringify(r.error)}`);
      return r.result;
    });
  }

  /**
   * Checks the chain is fresh, switches to manual mining and loads the default accounts.
   * `genesis` is the number of anvil's first block (`anvil --number`), 0 unless a script needs
   * its blocks numbered like a real chain's.
   */
  async start(genesis = 0) {
    const [blockNumber, accounts] = await this.batch([["eth_blockNumber", []], ["eth_accounts", []]]);
    this.accounts = accounts.slice(0, 10);
    if (BigInt(blockNumber) !== BigInt(genesis)) {
      throw new Error(`chain at ${this.url} is at block ${BigInt(blockNumber)}; the examples need a fresh anvil`);
    }
    this.block = Number(genesis);
    this.nonces = this.accounts.map(() => 0n);
    await this.call("anvil_setBlockTimestampInterval", [TIMESTAMP_INTERVAL]);
    await this.call("evm_setAutomine", [false]);
  }

  async stop() {
    await this.call("evm_setAutomine", [true]);
  }

  /** 4-byte function selector, hashed by the node (web3_sha3 = keccak256). */
  async selectors(signatures) {
    const hashes = await this.batch(
      signatures.map((s) => ["web3_sha3", ["0x" + Buffer.from(s, "utf8").toString("hex")]]),
    );
    return Object.fromEntries(signatures.map((s, i) => [s.slice(0, s.indexOf("(")), hashes[i].slice(0, 10)]));
  }

  /** Sends a transaction into the block being built; `revert: true` marks an expected failure. */
  async send(from, to, data, { gas = 200_000, value = 0n, revert = false, label = "" } = {}) {
    const f = this.accounts.indexOf(from);
    if (f < 0) throw new Error(`unknown sender ${from}`);
    // Same-block transactions get strictly falling tips so that fee ordering keeps send order.
    const tx = {
      from,
      data,
      nonce: hex(this.nonces[f]++),
      gas: hex(gas),
      maxFeePerGas: hex(MAX_FEE),
      maxPriorityFeePerGas: hex(TIP - BigInt(this.pending)),
      value: hex(value),
    };
    if (to) tx.to = to;
    const hash = await this.call("eth_sendTransaction", [tx]);
    this.sent.push({ hash, block: this.block + 1, index: this.pending, revert, label });
    this.pending += 1;
    return hash;
  }

  /** Mines the transactions sent since the last call into one block. */
  async mine() {
    await this.call("evm_mine");
    this.block += 1;
    this.pending = 0;
  }

  /** Sends one transaction and mines it into its own block. */
  async tx(from, to, data, opts) {
    const hash = await this.send(from, to, data, opts);
    await this.mine();
    return hash;
  }

  async receipt(hash) {
    return this.call("eth_getTransactionReceipt", [hash]);
  }

  /** Checks every sent transaction landed in its planned block and position with the planned status. */
  async verify() {
    const chunk = 250;
    for (let i = 0; i < this.sent.length; i += chunk) {
      const part = this.sent.slice(i, i + chunk);
      const receipts = await this.batch(part.map((t) => ["eth_getTransactionReceipt", [t.hash]]));
      part.forEach((t, k) => {
        const r = receipts[k];
        if (!r) throw new Error(`no receipt for ${t.label} ${t.hash}`);
        const ok = r.status === "0x1";
        if (BigInt(r.blockNumber) !== BigInt(t.block) || BigInt(r.transactionIndex) !== BigInt(t.index) || ok === t.revert) {
          throw new Error(
            `${t.label} ${t.hash}: expected block ${t.block} index ${t.index} ${t.revert ? "reverted" : "ok"}, ` +
              `got block ${BigInt(r.blockNumber)} index ${BigInt(r.transactionIndex)} status ${r.status}`,
          );
        }
      });
    }
  }
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
