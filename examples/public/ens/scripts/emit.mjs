#!/usr/bin/env node
// Fills a fresh anvil with ENS activity for the vendored mainnet subgraph.
//
//   node_modules/.bin/anvil --number 22764812 --timestamp 1750000000 --silent &
//   node examples/public/ens/scripts/emit.mjs [RPC_URL] [STEPS]
//   (or env RPC_URL, STEPS; defaults http://127.0.0.1:8545 and 150)
//
// The subgraph is upstream's unmodified mainnet manifest: it hard-codes the mainnet addresses of
// the registries, the .eth registrar, three controllers and the NameWrapper, with start blocks up
// to 22764821 (the newest controller). anvil's genesis is numbered 22764812 (`--number`), so that
// the setup happens just before that block and one registration through the newest controller
// falls before its start block (the subgraph must not see it); the stand-ins
// (../contracts/ENS.sol) are placed at the mainnet addresses with anvil_setCode. The Resolver
// data source has no address and no start block: the two resolvers are deployed normally.
// (Its start block 0 lies below anvil's genesis, which has no blocks before it: index with a
// block range that reaches past the gap, `sprig index --max-block-range 30000000`.)
//
// Chain layout (deterministic: fixed PRNG seed, see ../../../lib/chain.mjs):
//   G+1  deploy the contracts (anvil_setCode then copies them to the mainnet addresses)
//   G+2  the old registry (0x3141…): root, `eth` and `xyz`
//   G+3  names in the old registry: oldname.eth, pioneer.eth, home.xyz
//   G+4  their resolvers, TTLs and a transfer; G+5 their records (through the old registry)
//   G+6  the migration: the new registry's root, `eth` given to the registrar, controllers
//   G+7  the old registry after the migration (ignored for migrated names, kept for the others)
//   G+8  a registration through the newest controller before its start block; approvals
//   then registrations through all three controllers, STEPS random operations (records of every
//   kind, subdomains, registry transfers and deletions, registrar transfers, renewals, wrapping,
//   wrapped subnames, fuses, expiry extensions, wrapped transfers single and batched,
//   unwrapping), then a jump past an expiry and the grace period and the expired name taken by
//   someone else.
// Prints a JSON summary on stdout.
import { Chain, bytecode, encode, prng, rpcUrlFromArgs } from "../../../lib/chain.mjs";

export const GENESIS = 22764812;
const UNWRAPPED_START = 22764821;

const REGISTRY = "0x00000000000c2e074ec69a0dfb2997ba6c7d2e1e";
const OLD_REGISTRY = "0x314159265dd8dbb310642f98f50c066173c1259b";
const BASE_REGISTRAR = "0x57f1887a8bf19b14fc0df6fd9b2acc9af147ea85";
const LEGACY_CONTROLLER = "0x283af0b28c62c092c9727f1ee09c02ca627eb7f5";
const WRAPPED_CONTROLLER = "0x253553366da8546fc250f225fe3d25d0c782303b";
const NAME_WRAPPER = "0xd4416b13d2b3a9abae7acd5d6c2bbdbe25686401";
const UNWRAPPED_CONTROLLER = "0x59e16fccd424cc24e280be16e11bcd56fb0ce547";
const ROOT = "0x" + "00".repeat(32);
const ZERO = "0x" + "00".repeat(20);
const YEAR = 31_536_000;
const PCC = 1 << 16; // PARENT_CANNOT_CONTROL
const CANNOT_UNWRAP = 1;
const EARLY_DURATION = 84 * 86400; // three 28-day periods, the shortest registration

const url = rpcUrlFromArgs();
const steps = Number(process.argv[3] || process.env.STEPS || 150);
const started = Date.now();
const out = (name) => new URL(`../contracts/out/${name}.bin`, import.meta.url);

const chain = new Chain(url);
await chain.start(GENESIS);
try {
  const acct = chain.accounts;
  const root = acct[0];
  const users = acct.slice(1);
  const rand = prng(0x5eed_0e45);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const chance = (p) => rand() < p;

  // keccak256 by the node (web3_sha3), cached.
  const hashes = new Map();
  const keccak = async (hexBytes) => {
    if (!hashes.has(hexBytes)) hashes.set(hexBytes, await chain.call("web3_sha3", [hexBytes]));
    return hashes.get(hexBytes);
  };
  const utf8 = (s) => "0x" + Buffer.from(s, "utf8").toString("hex");
  const labelhash = (label) => keccak(utf8(label));
  const makeNode = async (parent, lh) => keccak(parent + lh.slice(2));
  const ETH_NODE = await makeNode(ROOT, await labelhash("eth"));
  const XYZ_NODE = await makeNode(ROOT, await labelhash("xyz"));
  // bytes32 / bytes4 values as the uint256 words the encoder writes.
  const w = (hex32) => BigInt(hex32);
  const bytes4 = (hex8) => BigInt(hex8) << 224n;

  const sig = async (signature) => Object.values(await chain.selectors([signature]))[0];
  const S = {};
  for (const s of [
    "claimRoot()",
    "setSubnodeOwner(bytes32,bytes32,address)",
    "setSubnodeRecord(bytes32,bytes32,address,address,uint64)",
    "setOwner(bytes32,address)",
    "setResolver(bytes32,address)",
    "setTTL(bytes32,uint64)",
    "initialize()",
    "addController(address)",
    "setApprovalForAll(address,bool)",
    "transferFrom(address,address,uint256)",
    "rentPrice(string,uint256)",
    "registerWithConfig(string,address,uint256,bytes32,address,address)",
    "register(string,address,uint256,bytes32)",
    "renew(string,uint256)",
    "setText(bytes32,string,string)",
    "setContenthash(bytes32,bytes)",
    "setName(bytes32,string)",
    "setABI(bytes32,uint256,bytes)",
    "setPubkey(bytes32,bytes32,bytes32)",
    "setInterface(bytes32,bytes4,address)",
    "setAuthorisation(bytes32,address,bool)",
    "clearRecords(bytes32)",
    "wrapETH2LD(string,address,uint16,address)",
    "unwrapETH2LD(bytes32,address,address)",
    "unwrap(bytes32,bytes32,address)",
    "setChildFuses(bytes32,bytes32,uint32,uint64)",
    "setFuses(bytes32,uint16)",
    "extendExpiry(bytes32,bytes32,uint64)",
    "safeTransferFrom(address,address,uint256,uint256,bytes)",
    "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
    "getData(uint256)",
  ]) {
    S[s] = await sig(s);
  }
  // Functions whose names are overloaded or shared between contracts.
  const setAddr = await sig("setAddr(bytes32,address)");
  const setAddrCoin = await sig("setAddr(bytes32,uint256,bytes)");
  const wrappedRegister = await sig("register(string,address,uint256,bytes32,address,bytes[],bool,uint16)");
  const unwrappedRegister = await sig("register(string,address,uint256,address,bytes[],bytes32)");
  const unwrappedRenew = await sig("renew(string,uint256,bytes32)");
  const nwSetSubnodeOwner = await sig("setSubnodeOwner(bytes32,string,address,uint32,uint64)");
  const call = (sel, types, values) => sel + encode(types, values);

  const ethCall = async (to, data) => chain.call("eth_call", [{ to, data }, "latest"]);
  const word = (hex, i) => BigInt("0x" + hex.slice(2 + 64 * i, 2 + 64 * (i + 1)));
  const price = async (controller, label, duration) => {
    const r = await ethCall(controller, call(S["rentPrice(string,uint256)"], ["string", "uint256"], [label, duration]));
    return word(r, 0) + word(r, 1);
  };

  // Block G+1: one deployment of each contract; the resolvers stay where they are deployed.
  const names = ["Registry", "BaseRegistrar", "LegacyController", "WrappedController", "UnwrappedController", "NameWrapper"];
  const deployHashes = [];
  for (const name of names) {
    deployHashes.push(await chain.send(root, null, bytecode(out(name)), { gas: 6_000_000, label: `deploy ${name}` }));
  }
  const resolverHash = await chain.send(root, null, bytecode(out("PublicResolver")) + encode(["bool"], [false]), {
    gas: 6_000_000,
    label: "deploy PublicResolver",
  });
  const legacyResolverHash = await chain.send(root, null, bytecode(out("PublicResolver")) + encode(["bool"], [true]), {
    gas: 6_000_000,
    label: "deploy legacy PublicResolver",
  });
  await chain.mine();
  const deployed = {};
  for (let i = 0; i < names.length; i++) deployed[names[i]] = (await chain.receipt(deployHashes[i])).contractAddress.toLowerCase();
  const resolver = (await chain.receipt(resolverHash)).contractAddress.toLowerCase();
  const legacyResolver = (await chain.receipt(legacyResolverHash)).contractAddress.toLowerCase();
  const place = async (at, name) => chain.call("anvil_setCode", [at, await chain.call("eth_getCode", [deployed[name], "latest"])]);
  await place(REGISTRY, "Registry");
  await place(OLD_REGISTRY, "Registry");
  await place(BASE_REGISTRAR, "BaseRegistrar");
  await place(LEGACY_CONTROLLER, "LegacyController");
  await place(WRAPPED_CONTROLLER, "WrappedController");
  await place(UNWRAPPED_CONTROLLER, "UnwrappedController");
  await place(NAME_WRAPPER, "NameWrapper");

  const send = (from, to, data, label, opts = {}) => chain.send(from, to, data, { gas: 1_000_000, label, ...opts });
  const subnodeOwner = async (registry, from, parent, label, owner) =>
    send(from, registry, call(S["setSubnodeOwner(bytes32,bytes32,address)"], ["uint256", "uint256", "address"], [w(parent), w(await labelhash(label)), owner]), `${label}: subnode owner`);

  // Blocks G+2..G+5: the old registry's era.
  const [u1, u2, u3, u4, u5, u6] = users;
  await send(root, OLD_REGISTRY, S["claimRoot()"], "old registry root");
  await subnodeOwner(OLD_REGISTRY, root, ROOT, "eth", root);
  await subnodeOwner(OLD_REGISTRY, root, ROOT, "xyz", root);
  await chain.mine();
  await subnodeOwner(OLD_REGISTRY, root, ETH_NODE, "oldname", u1);
  await subnodeOwner(OLD_REGISTRY, root, ETH_NODE, "pioneer", u2);
  await subnodeOwner(OLD_REGISTRY, root, XYZ_NODE, "home", u3);
  await chain.mine();
  const oldname = await makeNode(ETH_NODE, await labelhash("oldname"));
  const pioneer = await makeNode(ETH_NODE, await labelhash("pioneer"));
  const home = await makeNode(XYZ_NODE, await labelhash("home"));
  await send(u1, OLD_REGISTRY, call(S["setResolver(bytes32,address)"], ["uint256", "address"], [w(oldname), legacyResolver]), "old resolver");
  await send(u1, OLD_REGISTRY, call(S["setTTL(bytes32,uint64)"], ["uint256", "uint64"], [w(oldname), 3600]), "old ttl");
  await send(u2, OLD_REGISTRY, call(S["setOwner(bytes32,address)"], ["uint256", "address"], [w(pioneer), u4]), "old transfer");
  await send(u3, OLD_REGISTRY, call(S["setResolver(bytes32,address)"], ["uint256", "address"], [w(home), resolver]), "old resolver");
  await chain.mine();
  await send(u1, legacyResolver, call(setAddr, ["uint256", "address"], [w(oldname), u1]), "old addr");
  await send(u1, legacyResolver, call(S["setText(bytes32,string,string)"], ["uint256", "string", "string"], [w(oldname), "url", "https://old.example"]), "old text");
  await send(u3, resolver, call(S["setText(bytes32,string,string)"], ["uint256", "string", "string"], [w(home), "email", "home@example.org"]), "text");
  await chain.mine();

  // Block G+6: the new registry, the registrar owning `eth`, its controllers.
  await send(root, REGISTRY, S["claimRoot()"], "registry root");
  await subnodeOwner(REGISTRY, root, ROOT, "eth", BASE_REGISTRAR);
  await subnodeOwner(REGISTRY, root, ROOT, "xyz", root);
  await send(root, BASE_REGISTRAR, S["initialize()"], "registrar owner");
  for (const c of [LEGACY_CONTROLLER, WRAPPED_CONTROLLER, UNWRAPPED_CONTROLLER, NAME_WRAPPER]) {
    await send(root, BASE_REGISTRAR, call(S["addController(address)"], ["address"], [c]), "add controller");
  }
  await chain.mine();

  // Block G+7: the old registry keeps running. Events for migrated names are ignored.
  await send(root, OLD_REGISTRY, call(S["setResolver(bytes32,address)"], ["uint256", "address"], [w(ETH_NODE), legacyResolver]), "old eth resolver");
  await subnodeOwner(OLD_REGISTRY, root, ETH_NODE, "latecomer", u5);
  await subnodeOwner(OLD_REGISTRY, root, ETH_NODE, "oldname", u2);
  await send(root, OLD_REGISTRY, call(S["setOwner(bytes32,address)"], ["uint256", "address"], [w(XYZ_NODE), u6]), "old xyz transfer");
  await subnodeOwner(REGISTRY, root, XYZ_NODE, "home", u3);
  await chain.mine();

  // Block G+8: a registration through the newest controller before its start block, and every
  // user lets the NameWrapper move their .eth names.
  if (chain.block + 1 >= UNWRAPPED_START) throw new Error(`block ${chain.block + 1} is not before ${UNWRAPPED_START}`);
  const eth = new Map(); // node -> .eth name state
  const subs = new Map(); // node -> subname state
  const register = async (via, user, label, { records = false, config = false, duration = pick([YEAR, 2 * YEAR]) } = {}) => {
    const cost = await price(via, label, duration);
    const lh = await labelhash(label);
    const node = await makeNode(ETH_NODE, lh);
    const data = [];
    if (records) {
      data.push(call(S["setText(bytes32,string,string)"], ["uint256", "string", "string"], [w(node), "avatar", `https://img.example/${label}.png`]));
      data.push(call(setAddr, ["uint256", "address"], [w(node), user]));
    }
    let tx;
    let withResolver = false;
    if (via === LEGACY_CONTROLLER) {
      withResolver = config;
      tx = config
        ? call(S["registerWithConfig(string,address,uint256,bytes32,address,address)"], ["string", "address", "uint256", "uint256", "address", "address"], [label, user, duration, 7n, resolver, user])
        : call(S["register(string,address,uint256,bytes32)"], ["string", "address", "uint256", "uint256"], [label, user, duration, 7n]);
    } else if (via === WRAPPED_CONTROLLER) {
      withResolver = true;
      const fuses = chance(0.3) ? CANNOT_UNWRAP : 0;
      tx = call(wrappedRegister, ["string", "address", "uint256", "uint256", "address", "bytes[]", "bool", "uint16"], [label, user, duration, 7n, resolver, data, false, fuses]);
    } else {
      withResolver = config;
      const referrer = chance(0.5) ? 0n : BigInt(await keccak(utf8(`referrer ${label}`)));
      tx = call(unwrappedRegister, ["string", "address", "uint256", "address", "bytes[]", "uint256"], [label, user, duration, config ? resolver : ZERO, config ? data : [], referrer]);
    }
    await send(user, via, tx, `register ${label}`, { value: cost });
    const state = { label, lh, node, registrant: user, owner: user, resolver: withResolver ? resolver : null, wrapped: null, subs: 0 };
    if (via === WRAPPED_CONTROLLER) {
      state.registrant = NAME_WRAPPER;
      state.owner = NAME_WRAPPER;
      state.wrapped = { owner: user };
    }
    eth.set(node, state);
    return state;
  };
  await register(UNWRAPPED_CONTROLLER, u6, "early", { duration: EARLY_DURATION });
  for (const user of users) {
    await send(user, BASE_REGISTRAR, call(S["setApprovalForAll(address,bool)"], ["address", "bool"], [NAME_WRAPPER, true]), "approve wrapper");
  }
  await chain.mine();
  while (chain.block + 1 < UNWRAPPED_START) await chain.mine();

  // Registrations through all three controllers, a few per block. `dot.ted` is not a valid
  // label for the subgraph: registered wrapped, its wrapped domain has no name.
  const labels = [
    "alice", "bobby", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
    "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe", "abc", "defi", "dao", "ñandú",
    "vault", "dot.ted", "wallet", "satoshi",
  ];
  const controllers = [LEGACY_CONTROLLER, WRAPPED_CONTROLLER, UNWRAPPED_CONTROLLER];
  const counts = { registrations: 0, ops: {} };
  for (let i = 0; i < labels.length; i++) {
    const via = controllers[i % 3];
    await register(via, users[i % users.length], labels[i], { records: chance(0.7), config: chance(0.6) });
    counts.registrations += 1;
    if (i % 3 === 2) await chain.mine();
  }
  await chain.mine();

  // Random operations. Within a block every user sends at most one transaction and every name
  // is touched by at most one, so what the script tracks holds whatever order they run in.
  const subLabels = ["www", "mail", "pay", "blog", "app", "docs", "shop", "api", "dev", "cdn"];
  const coinTypes = [0n, 2n, 3n, 60n, 501n, 2147483658n];
  const textKeys = ["avatar", "url", "description", "com.twitter", "email"];
  const busy = new Set();
  const free = (...keys) => keys.every((k) => !busy.has(k));
  const take = (...keys) => keys.forEach((k) => busy.add(k));
  const resolverOf = (s) => s.resolver;
  // Who may write a node's records on the resolvers: the registry owner, or the wrapped owner.
  const controllerOf = (s) => (s.wrapped ? s.wrapped.owner : s.owner);
  const all = () => [...eth.values(), ...subs.values()];
  const count = (op) => (counts.ops[op] = (counts.ops[op] || 0) + 1);
  const random32 = () => {
    let h = "0x";
    for (let i = 0; i < 8; i++) h += Math.floor(rand() * 2 ** 32).toString(16).padStart(8, "0");
    return h;
  };

  const ops = {
    // Records on a name with a resolver, by whoever controls it.
    async records(user) {
      const s = all().find((s) => s.resolver && controllerOf(s) === user && free(s.node) && chance(0.5));
      if (!s) return false;
      take(s.node);
      const node = w(s.node);
      const r = rand();
      const to = resolverOf(s);
      if (r < 0.2) await send(user, to, call(setAddr, ["uint256", "address"], [node, pick(users)]), "addr");
      else if (r < 0.3) await send(user, to, call(setAddrCoin, ["uint256", "uint256", "bytes"], [node, pick(coinTypes), random32().slice(0, 2 + 2 * (20 + Math.floor(rand() * 12)))]), "multicoin addr");
      else if (r < 0.5) await send(user, to, call(S["setText(bytes32,string,string)"], ["uint256", "string", "string"], [node, pick(textKeys), `v${Math.floor(rand() * 1000)}`]), "text");
      else if (r < 0.6) await send(user, to, call(S["setContenthash(bytes32,bytes)"], ["uint256", "bytes"], [node, "0xe3010170" + random32().slice(2)]), "contenthash");
      else if (r < 0.66) await send(user, to, call(S["setName(bytes32,string)"], ["uint256", "string"], [node, `${s.label}.reverse`]), "name");
      else if (r < 0.72) await send(user, to, call(S["setABI(bytes32,uint256,bytes)"], ["uint256", "uint256", "bytes"], [node, pick([1n, 2n, 4n, 8n]), "0x5b5d"]), "abi");
      else if (r < 0.78) await send(user, to, call(S["setPubkey(bytes32,bytes32,bytes32)"], ["uint256", "uint256", "uint256"], [node, w(random32()), w(random32())]), "pubkey");
      else if (r < 0.86) await send(user, to, call(S["setInterface(bytes32,bytes4,address)"], ["uint256", "uint256", "address"], [node, bytes4(random32().slice(0, 10)), pick(users)]), "interface");
      else if (r < 0.93) await send(user, to, call(S["setAuthorisation(bytes32,address,bool)"], ["uint256", "address", "bool"], [node, pick(users), chance(0.7)]), "authorisation");
      else await send(user, to, call(S["clearRecords(bytes32)"], ["uint256"], [node]), "clear records");
      return true;
    },
    // A resolver for a name without one, or a different one, through the registry.
    async resolver(user) {
      const s = all().find((s) => !s.wrapped && s.owner === user && free(s.node) && (!s.resolver || chance(0.2)));
      if (!s) return false;
      take(s.node);
      const to = s.resolver === resolver ? legacyResolver : resolver;
      await send(user, REGISTRY, call(S["setResolver(bytes32,address)"], ["uint256", "address"], [w(s.node), to]), "resolver");
      s.resolver = to;
      return true;
    },
    // A subdomain in the registry, sometimes with a resolver and TTL in the same call.
    async subdomain(user) {
      const parent = [...eth.values()].find((s) => !s.wrapped && s.owner === user && free(s.node) && s.subs < subLabels.length);
      if (!parent) return false;
      const label = subLabels[parent.subs++];
      const node = await makeNode(parent.node, await labelhash(label));
      const owner = pick(users);
      if (!free(owner)) return false;
      take(parent.node, node, owner);
      if (chance(0.5)) {
        await send(user, REGISTRY, call(S["setSubnodeRecord(bytes32,bytes32,address,address,uint64)"], ["uint256", "uint256", "address", "address", "uint64"], [w(parent.node), w(await labelhash(label)), owner, resolver, 300]), "subnode record");
        subs.set(node, { label, node, parent: parent.node, owner, resolver, wrapped: null });
      } else {
        await send(user, REGISTRY, call(S["setSubnodeOwner(bytes32,bytes32,address)"], ["uint256", "uint256", "address"], [w(parent.node), w(await labelhash(label)), owner]), "subnode");
        subs.set(node, { label, node, parent: parent.node, owner, resolver: null, wrapped: null });
      }
      return true;
    },
    // A registry transfer of a subdomain, or its deletion (owner and resolver zero).
    async transfer(user) {
      const s = [...subs.values()].find((s) => !s.wrapped && s.owner === user && free(s.node));
      if (!s) return false;
      const to = pick(users);
      if (!free(to)) return false;
      take(s.node, to);
      if (chance(0.3)) {
        if (s.resolver) await send(user, REGISTRY, call(S["setResolver(bytes32,address)"], ["uint256", "address"], [w(s.node), ZERO]), "clear resolver");
        await send(user, REGISTRY, call(S["setOwner(bytes32,address)"], ["uint256", "address"], [w(s.node), ZERO]), "delete subdomain");
        subs.delete(s.node);
        count("delete");
      } else {
        await send(user, REGISTRY, call(S["setOwner(bytes32,address)"], ["uint256", "address"], [w(s.node), to]), "registry transfer");
        s.owner = to;
      }
      return true;
    },
    async ttl(user) {
      const s = all().find((s) => !s.wrapped && s.owner === user && free(s.node));
      if (!s) return false;
      take(s.node);
      await send(user, REGISTRY, call(S["setTTL(bytes32,uint64)"], ["uint256", "uint64"], [w(s.node), pick([60, 300, 3600, 86400])]), "ttl");
      return true;
    },
    // The registrant gives the .eth NFT to someone else; the registry owner stays.
    async registrarTransfer(user) {
      const s = [...eth.values()].find((s) => s.registrant === user && free(s.node));
      if (!s) return false;
      const to = pick(users.filter((u) => u !== user));
      if (!free(to)) return false;
      take(s.node, to);
      await send(user, BASE_REGISTRAR, call(S["transferFrom(address,address,uint256)"], ["address", "address", "uint256"], [user, to, w(s.lh)]), "registrar transfer");
      s.registrant = to;
      return true;
    },
    // Anyone may renew anyone's name, through any controller.
    async renew(user) {
      const s = [...eth.values()].find((s) => free(s.node) && chance(0.2) && s.label !== "early");
      if (!s) return false;
      take(s.node);
      const duration = pick([YEAR, YEAR / 2]);
      const via = s.wrapped ? WRAPPED_CONTROLLER : pick(controllers);
      const cost = await price(via, s.label, duration);
      const tx =
        via === UNWRAPPED_CONTROLLER
          ? call(unwrappedRenew, ["string", "uint256", "uint256"], [s.label, duration, BigInt(await keccak(utf8("renewal")))])
          : call(S["renew(string,uint256)"], ["string", "uint256"], [s.label, duration]);
      await send(user, via, tx, `renew ${s.label}`, { value: cost });
      return true;
    },
    async wrap(user) {
      const s = [...eth.values()].find((s) => !s.wrapped && s.registrant === user && s.owner === user && free(s.node) && s.subs === 0);
      if (!s) return false;
      take(s.node);
      const fuses = chance(0.4) ? CANNOT_UNWRAP : 0;
      await send(user, NAME_WRAPPER, call(S["wrapETH2LD(string,address,uint16,address)"], ["string", "address", "uint16", "address"], [s.label, user, fuses, s.resolver || ZERO]), `wrap ${s.label}`);
      s.registrant = NAME_WRAPPER;
      s.owner = NAME_WRAPPER;
      s.wrapped = { owner: user };
      return true;
    },
    async wrappedSubname(user) {
      const parent = [...eth.values()].find((s) => s.wrapped && s.wrapped.owner === user && free(s.node) && s.subs < subLabels.length);
      if (!parent) return false;
      const label = subLabels[parent.subs++];
      const node = await makeNode(parent.node, await labelhash(label));
      const owner = pick(users);
      if (!free(owner)) return false;
      take(parent.node, node, owner);
      const fuses = chance(0.4) ? PCC | CANNOT_UNWRAP : 0;
      const expiry = BigInt(1_750_000_000 + Math.floor(rand() * 4 * YEAR));
      await send(user, NAME_WRAPPER, call(nwSetSubnodeOwner, ["uint256", "string", "address", "uint32", "uint64"], [w(parent.node), label, owner, fuses, expiry]), `wrapped subname ${label}`);
      subs.set(node, { label, node, parent: parent.node, owner: NAME_WRAPPER, resolver: null, wrapped: { owner } });
      return true;
    },
    // The parent burns a child's fuses (PCC) and extends it, or extends it alone.
    async childFuses(user) {
      const s = [...subs.values()].find((s) => s.wrapped && eth.get(s.parent)?.wrapped?.owner === user && free(s.node, s.parent));
      if (!s) return false;
      take(s.node, s.parent);
      const expiry = BigInt(1_750_000_000 + Math.floor(rand() * 5 * YEAR));
      if (chance(0.6)) {
        await send(user, NAME_WRAPPER, call(S["setChildFuses(bytes32,bytes32,uint32,uint64)"], ["uint256", "uint256", "uint32", "uint64"], [w(s.parent), w(await labelhash(s.label)), PCC, expiry]), "child fuses");
      } else {
        const [, , current] = await ethCall(NAME_WRAPPER, call(S["getData(uint256)"], ["uint256"], [w(s.node)])).then((r) => [0, 1, word(r, 2)]);
        const parentData = await ethCall(NAME_WRAPPER, call(S["getData(uint256)"], ["uint256"], [w(s.parent)]));
        if (current >= word(parentData, 2) || expiry < current) return false;
        await send(user, NAME_WRAPPER, call(S["extendExpiry(bytes32,bytes32,uint64)"], ["uint256", "uint256", "uint64"], [w(s.parent), w(await labelhash(s.label)), expiry]), "extend expiry");
      }
      return true;
    },
    async ownFuses(user) {
      const s = all().find((s) => s.wrapped && s.wrapped.owner === user && free(s.node));
      if (!s) return false;
      take(s.node);
      await send(user, NAME_WRAPPER, call(S["setFuses(bytes32,uint16)"], ["uint256", "uint16"], [w(s.node), pick([2, 4, 8, 16])]), "fuses");
      return true;
    },
    async wrappedTransfer(user) {
      const mine = all().filter((s) => s.wrapped && s.wrapped.owner === user && free(s.node));
      if (mine.length === 0) return false;
      const to = pick(users.filter((u) => u !== user));
      if (!free(to)) return false;
      if (mine.length >= 2 && chance(0.5)) {
        const batch = mine.slice(0, 2);
        take(to, ...batch.map((s) => s.node));
        await send(user, NAME_WRAPPER, call(S["safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)"], ["address", "address", "uint256[]", "uint256[]", "bytes"], [user, to, batch.map((s) => w(s.node)), [1n, 1n], "0x"]), "wrapped batch transfer");
        for (const s of batch) s.wrapped.owner = to;
        count("batch");
      } else {
        const s = mine[0];
        take(to, s.node);
        await send(user, NAME_WRAPPER, call(S["safeTransferFrom(address,address,uint256,uint256,bytes)"], ["address", "address", "uint256", "uint256", "bytes"], [user, to, w(s.node), 1n, "0x"]), "wrapped transfer");
        s.wrapped.owner = to;
      }
      return true;
    },
    async unwrap(user) {
      const s = all().find((s) => s.wrapped && s.wrapped.owner === user && free(s.node) && (s.parent ? eth.has(s.parent) : true) && ![...subs.values()].some((c) => c.parent === s.node));
      if (!s) return false;
      take(s.node);
      if (s.parent) {
        await send(user, NAME_WRAPPER, call(S["unwrap(bytes32,bytes32,address)"], ["uint256", "uint256", "address"], [w(s.parent), w(await labelhash(s.label)), user]), "unwrap subname");
      } else {
        await send(user, NAME_WRAPPER, call(S["unwrapETH2LD(bytes32,address,address)"], ["uint256", "address", "address"], [w(s.lh), user, user]), `unwrap ${s.label}`);
        s.registrant = user;
      }
      s.owner = user;
      s.wrapped = null;
      return true;
    },
  };
  const weights = [
    ["records", 30], ["resolver", 6], ["subdomain", 10], ["transfer", 6], ["ttl", 3], ["registrarTransfer", 5], ["renew", 6],
    ["wrap", 5], ["wrappedSubname", 6], ["childFuses", 5], ["ownFuses", 2], ["wrappedTransfer", 6], ["unwrap", 3],
  ];
  const total = weights.reduce((a, [, x]) => a + x, 0);
  const chooseOp = () => {
    let r = rand() * total;
    for (const [name, x] of weights) if ((r -= x) < 0) return name;
    return weights[0][0];
  };
  let sent = 0;
  let attempts = 0;
  while (sent < steps && attempts < steps * 20) {
    busy.clear();
    const perBlock = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < perBlock && sent < steps; k++) {
      attempts += 1;
      const user = pick(users);
      if (!free(user)) continue;
      const op = chooseOp();
      if (await ops[op](user)) {
        busy.add(user);
        count(op);
        sent += 1;
      }
    }
    await chain.mine();
  }

  // Past an expiry and the grace period: `early` (registered for the shortest term, and never
  // renewed) is free again, and someone else takes it through the legacy controller.
  const early = [...eth.values()].find((s) => s.label === "early");
  const now = BigInt((await chain.call("eth_getBlockByNumber", ["latest", false])).timestamp);
  await chain.call("evm_setNextBlockTimestamp", [Number(now) + EARLY_DURATION + 91 * 86400]);
  await register(LEGACY_CONTROLLER, u1, "early", { config: true });
  early.registrant = u1;
  await chain.mine();
  await chain.mine();
  await chain.verify();

  const summary = {
    rpc: url,
    genesis: GENESIS,
    resolvers: [resolver, legacyResolver],
    counts,
    lastBlock: chain.block,
    transactions: chain.sent.length,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await chain.stop();
}
