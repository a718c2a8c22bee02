// Test handlers for sprig-runtime. Each exported function is called by a Rust test
// (crates/runtime/tests/*.rs) with a synthetic trigger; results are written to entities that the
// test reads back from the entity cache. Keep expected values in the Rust tests, not here.

import {
  Address,
  BigDecimal,
  BigInt,
  bigDecimal,
  ByteArray,
  Bytes,
  crypto,
  dataSource,
  DataSourceContext,
  DataSourceTemplate,
  ens,
  Entity,
  ethereum,
  ipfs,
  json,
  JSONValue,
  log,
  store,
  Value,
  yaml,
  YAMLValue,
} from "@graphprotocol/graph-ts";
import { Test, Transfer } from "../generated/Test/Test";
import { AllKinds, Child, Egg, Nest, Output, Parent, TriggerData } from "../generated/schema";

// ---------------------------------------------------------------------------------------------
// Trigger objects

export function handleTransfer(event: Transfer): void {
  let t = new TriggerData("event");
  copyBlock(t, event.block);
  t.txHash = event.transaction.hash;
  t.txIndex = event.transaction.index;
  t.txFrom = event.transaction.from;
  t.txTo = event.transaction.to;
  t.txValue = event.transaction.value;
  t.txGasPrice = event.transaction.gasPrice;
  t.txNonce = event.transaction.nonce;
  t.txInput = event.transaction.input;
  t.address = event.address;
  t.logIndex = event.logIndex;
  t.paramFrom = event.params.from;
  t.paramTo = event.params.to;
  t.paramValue = event.params.value;
  let receipt = event.receipt;
  if (receipt != null) {
    t.receiptGasUsed = receipt.gasUsed;
    t.receiptStatus = receipt.status;
    t.receiptLogCount = receipt.logs.length;
    if (receipt.logs.length > 0) {
      t.receiptLogTopic = receipt.logs[0].topics[0];
    }
  }
  t.save();
}

export function handleBlock(block: ethereum.Block): void {
  let t = new TriggerData("block");
  copyBlock(t, block);
  t.save();
}

function copyBlock(t: TriggerData, block: ethereum.Block): void {
  t.blockNumber = block.number;
  t.blockHash = block.hash;
  t.parentHash = block.parentHash;
  t.author = block.author;
  t.blockTimestamp = block.timestamp;
  t.gasLimit = block.gasLimit;
  t.baseFeePerGas = block.baseFeePerGas;
  t.size = block.size;
}

/** Does nothing: measures the fixed cost of a trigger. */
export function noop(block: ethereum.Block): void {}

// ---------------------------------------------------------------------------------------------
// Numbers

export function bigIntOps(block: ethereum.Block): void {
  let a = BigInt.fromString("123456789012345678901234567890");
  let b = BigInt.fromI32(-7);
  let o = new Output("bigInt");
  o.bigInts = [
    a.plus(b),
    a.minus(b),
    a.times(b),
    a.div(b),
    a.mod(b),
    b.pow(5),
    a.bitOr(b),
    a.bitAnd(BigInt.fromI32(0xff)),
    a.leftShift(8),
    b.rightShift(1),
    BigInt.fromString("-0"),
    BigInt.fromU64(u64.MAX_VALUE),
  ];
  o.strings = [
    a.toString(),
    b.toString(),
    a.toHexString(),
    b.toHexString(),
    BigInt.zero().toHexString(),
    BigInt.fromString("30145144166666665000000000000000000").toString(),
  ];
  o.bigDecimals = [a.divDecimal(BigDecimal.fromString("3"))];
  o.save();
}

export function bigDecimalOps(block: ethereum.Block): void {
  let x = BigDecimal.fromString("1.5");
  let y = BigDecimal.fromString("-0.25");
  let third = BigDecimal.fromString("1").div(BigDecimal.fromString("3"));
  let o = new Output("bigDecimal");
  o.bigDecimals = [
    x.plus(y),
    x.minus(y),
    x.times(y),
    x.div(y),
    third,
    BigDecimal.fromString("1e3"),
    BigDecimal.fromString("123456789012345678901234567890123456789"),
  ];
  o.strings = [
    x.toString(),
    third.toString(),
    BigDecimal.fromString("1e-5").toString(),
    BigDecimal.fromString("100").toString(),
    BigDecimal.fromString("-0.000").toString(),
  ];
  o.bools = [
    bigDecimal.equals(x, BigDecimal.fromString("1.50")),
    bigDecimal.equals(x, y),
  ];
  o.save();
}

export function divideByZero(block: ethereum.Block): void {
  BigInt.fromI32(1).div(BigInt.zero());
}

/** 0/0 computed at run time: with NaN canonicalization its bits are the same everywhere. */
export function nanBits(block: ethereum.Block): void {
  let x = block.number.toI64() as f64;
  let nan = (x - x) / (x - x);
  let o = new Output("nan");
  o.int8 = reinterpret<i64>(nan);
  o.bigInts = [BigInt.fromU64(reinterpret<u64>(nan))];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// Conversions, strings and crypto

export function conversions(block: ethereum.Block): void {
  let multihash = Bytes.fromHexString(
    "0x12207d5a99f603f231d53a4f39d1521f98d2e8bb279cf29bebfd0687dc98458e7f89",
  );
  let o = new Output("conversions");
  o.strings = [
    multihash.toBase58(),
    multihash.toHexString(),
    Bytes.fromHexString("0x68656c6c6f0000").toString(),
    Address.fromString("0x0123123123012312312301231231230123123123").toHexString(),
    Bytes.empty().toHexString(),
    Bytes.fromHexString("0x0000ff").toBase58(),
  ];
  let sub = changetype<Bytes>(Bytes.fromHexString("0x0102030405").subarray(2, 4));
  o.bytes = [
    changetype<Bytes>(crypto.keccak256(ByteArray.fromUTF8("eth"))),
    Address.fromString("0x0123123123012312312301231231230123123123"),
    sub,
  ];
  o.save();
}

export function strings(block: ethereum.Block): void {
  let o = new Output("strings");
  let flag = "漢字Go🇧🇷";
  o.strings = [flag, "a\u0000b", Bytes.fromUTF8(flag).toString(), ""];
  o.ints = [flag.length];
  o.save();
}

/** A lone surrogate is not valid UTF-16: the host must refuse it. */
export function loneSurrogate(block: ethereum.Block): void {
  let o = new Output("lone");
  o.strings = [String.fromCharCode(0xd800)];
  o.save();
}

export function badAddress(block: ethereum.Block): void {
  Address.fromString("0x12");
}

// ---------------------------------------------------------------------------------------------
// Store

/** Copies the preloaded entity `AllKinds:source` to `copy`, and builds `made` in wasm. */
export function storeRoundTrip(block: ethereum.Block): void {
  let o = new Output("store");
  let bools = new Array<bool>();
  bools.push(AllKinds.loadInBlock("source") == null);
  let source = store.get("AllKinds", "source")!;
  source.set("id", Value.fromString("copy"));
  store.set("AllKinds", "copy", source);
  bools.push(AllKinds.loadInBlock("copy") != null);
  let flag = AllKinds.load("source")!.str!;
  o.ints = [flag.length];

  let made = new AllKinds("made");
  made.str = "漢字Go🇧🇷";
  made.int = i32.MIN_VALUE;
  made.int8 = i64.MIN_VALUE;
  made.bigInt = BigInt.fromString("-340282366920938463463374607431768211456");
  made.bigDecimal = BigDecimal.fromString("3.14159001");
  made.bool = true;
  made.bytes = Bytes.fromHexString("0x000205");
  made.timestamp = 1700000000123456;
  made.strList = ["a", "b"];
  made.intList = [1, -1];
  made.bigIntList = [BigInt.fromI32(1), BigInt.fromI32(-1)];
  made.kind = "Large";
  made.other = "source";
  made.save();

  let gone = new AllKinds("gone");
  gone.save();
  store.remove("AllKinds", "gone");
  bools.push(AllKinds.load("gone") == null);
  o.bools = bools;
  o.save();
}

export function undefinedFields(block: ethereum.Block): void {
  let e = new Entity();
  e.setString("id", "bad");
  e.setString("bogus", "x");
  e.setString("alsoBogus", "y");
  store.set("Output", "bad", e);
}

export function wrongFieldType(block: ethereum.Block): void {
  let e = new Entity();
  e.setString("id", "wrong");
  e.setString("ints", "not a list");
  store.set("Output", "wrong", e);
}

export function idMismatch(block: ethereum.Block): void {
  let e = new Entity();
  e.setString("id", "one");
  store.set("Output", "two", e);
}

export function unknownEntityType(block: ethereum.Block): void {
  let e = new Entity();
  e.setString("id", "x");
  store.set("Nope", "x", e);
}

/** Writes, then fails: the write must be discarded. */
export function writeThenAbort(block: ethereum.Block): void {
  let o = new Output("discarded");
  o.save();
  DataSourceTemplate.create("TestTemplate", ["0x0000000000000000000000000000000000000001"]);
  assert(false, "after write");
}

// ---------------------------------------------------------------------------------------------
// Failures

export function abortWithMessage(block: ethereum.Block): void {
  assert(false, "not true");
}

export function logCritical(block: ethereum.Block): void {
  log.info("info {} {}", ["is", "fine"]);
  log.critical("boom {}", ["now"]);
}

let counter: i32 = 0;

export function infiniteLoop(block: ethereum.Block): void {
  while (true) {
    counter += 1;
  }
}

function recurse(n: i32): i32 {
  if (n == 0) return 0;
  return recurse(n + 1) + 1;
}

export function deepRecursion(block: ethereum.Block): void {
  counter = recurse(block.number.toI32() + 1);
}

let hoard = new Array<Uint8Array>();

export function memoryBomb(block: ethereum.Block): void {
  while (true) {
    hoard.push(new Uint8Array(1024 * 1024));
  }
}

export function wildPointer(block: ethereum.Block): void {
  crypto.keccak256(changetype<ByteArray>(<usize>0xfffffff0));
}

// ---------------------------------------------------------------------------------------------
// Ethereum

export function ethCalls(block: ethereum.Block): void {
  let contract = Test.bind(Address.fromString("0x0123123123012312312301231231230123123123"));
  let o = new Output("ethCalls");
  o.strings = [contract.name()];
  let pair = contract.pair(BigInt.fromI32(-5));
  let balance = contract.try_balanceOf(Address.fromString("0x0000000000000000000000000000000000000001"));
  let reverted = contract.try_balanceOf(Address.zero());
  o.bigInts = [pair.value0.a, pair.value0.b, balance.value];
  o.bools = [pair.value1, balance.reverted, reverted.reverted];
  o.save();
}

export function callName(block: ethereum.Block): void {
  let contract = Test.bind(Address.fromString("0x0123123123012312312301231231230123123123"));
  let o = new Output("callName");
  o.strings = [contract.name()];
  o.save();
}

export function unknownFunction(block: ethereum.Block): void {
  let contract = Test.bind(Address.fromString("0x0123123123012312312301231231230123123123"));
  contract.call("nope", "nope():(uint256)", []);
}

export function encodeDecode(block: ethereum.Block): void {
  let u8s = new Array<ethereum.Value>();
  u8s.push(ethereum.Value.fromUnsignedBigInt(BigInt.fromI32(1)));
  u8s.push(ethereum.Value.fromUnsignedBigInt(BigInt.fromI32(255)));
  let tuple = new ethereum.Tuple();
  tuple.push(ethereum.Value.fromAddress(Address.fromString("0x0123123123012312312301231231230123123123")));
  tuple.push(ethereum.Value.fromUnsignedBigInt(BigInt.fromString("1000000000000000000")));
  tuple.push(ethereum.Value.fromSignedBigInt(BigInt.fromI32(-1)));
  tuple.push(ethereum.Value.fromBytes(Bytes.fromHexString("0xdeadbeef")));
  tuple.push(ethereum.Value.fromString("漢字"));
  tuple.push(ethereum.Value.fromBoolean(true));
  tuple.push(ethereum.Value.fromFixedBytes(Bytes.fromHexString("0x01020304")));
  tuple.push(ethereum.Value.fromArray(u8s));
  let encoded = ethereum.encode(ethereum.Value.fromTuple(tuple))!;
  let decoded = ethereum.decode("(address,uint256,int256,bytes,string,bool,bytes4,uint8[])", encoded)!;
  let t = decoded.toTuple();
  let minInt = BigInt.fromString(
    "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
  );
  let minEncoded = ethereum.encode(ethereum.Value.fromSignedBigInt(minInt))!;
  let minDecoded = ethereum.decode("int256", minEncoded)!;

  let o = new Output("encodeDecode");
  o.bytes = [encoded, t[0].toAddress(), t[3].toBytes(), t[6].toBytes(), minEncoded];
  o.bigInts = [
    t[1].toBigInt(),
    t[2].toBigInt(),
    t[7].toArray()[0].toBigInt(),
    t[7].toArray()[1].toBigInt(),
    minDecoded.toBigInt(),
  ];
  o.strings = [t[4].toString()];
  o.bools = [t[5].toBoolean(), ethereum.decode("(uint256", encoded) == null];
  o.ints = [t.length, t[6].kind, t[7].kind, t[2].kind, t[1].kind, decoded.kind];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// Data sources

export function dataSourceOps(block: ethereum.Block): void {
  let o = new Output("dataSource");
  let context = dataSource.context();
  o.bytes = [dataSource.address()];
  o.strings = [dataSource.network(), context.getString("greeting")];
  DataSourceTemplate.create("TestTemplate", ["0xc0a47dFe034B400B47bDaD5FecDa2621de6c4d95"]);
  let ctx = new DataSourceContext();
  ctx.setString("k", "v");
  ctx.setBigInt("n", BigInt.fromI32(7));
  DataSourceTemplate.createWithContext("TestTemplate", ["0x0000000000000000000000000000000000000002"], ctx);
  o.save();
}

export function unknownTemplate(block: ethereum.Block): void {
  DataSourceTemplate.create("nonexistent template", []);
}

// ---------------------------------------------------------------------------------------------
// JSON

export function jsonOps(block: ethereum.Block): void {
  let value = json.fromBytes(
    Bytes.fromUTF8('{"b": 12345678901234567890123, "a": [1, "x", true, null], "f": -1.5}'),
  );
  let obj = value.toObject();
  let arr = obj.get("a")!.toArray();
  let o = new Output("json");
  o.int8 = json.toI64("-9223372036854775808");
  o.bigInts = [
    json.toBigInt("-922337203685477092345034"),
    obj.get("b")!.toBigInt(),
    BigInt.fromU64(json.toU64("18446744073709551615")),
    BigInt.fromI64(arr[0].toI64()),
    BigInt.fromI32(obj.entries.length),
  ];
  o.strings = [arr[1].toString(), obj.entries[0].key, obj.get("f")!.toF64().toString()];
  o.bools = [
    arr[2].toBool(),
    arr[3].isNull(),
    json.try_fromBytes(Bytes.fromUTF8("not json")).isError,
    json.try_fromBytes(Bytes.fromUTF8("[]")).isOk,
  ];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// ipfs.map

// Maps the file `cid` of the context with its `callback`, `userData` and `flag`, between writes
// of its own: Output("ipfsMap") before, then whether the entity `expect` is visible after.
export function ipfsMap(block: ethereum.Block): void {
  let context = dataSource.context();
  let o = new Output("ipfsMap");
  o.strings = ["before"];
  o.save();
  ipfs.map(
    context.getString("cid"),
    context.getString("callback"),
    Value.fromString(context.getString("userData")),
    [context.getString("flag")],
  );
  o.bools = [Output.load(context.getString("expect")) != null];
  o.save();
}

// The ipfs.map callback: stores Output(<id>) with the user data, the value's `name` and `n`.
// A value with `fail` aborts, one with `spin` loops forever, and one with `nested` maps the
// file it names with this callback first.
export function storeLine(value: JSONValue, userData: Value): void {
  let obj = value.toObject();
  if (obj.isSet("fail")) {
    assert(false, "the line asks to fail");
  }
  if (obj.isSet("spin")) {
    while (true) {
      counter += 1;
    }
  }
  if (obj.isSet("nested")) {
    ipfs.map(obj.get("nested")!.toString(), "storeLine", userData, ["json"]);
  }
  let o = new Output(obj.get("id")!.toString());
  o.strings = [userData.toString(), obj.get("name")!.toString()];
  o.ints = [obj.get("n")!.toI64() as i32];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// Benchmark workloads (crates/runtime/benches)

// A Keccak-256 chain and BigInt arithmetic: work done mostly by host functions.
export function keccakChain(block: ethereum.Block): void {
  let h = ByteArray.fromI32(1);
  for (let i = 0; i < 100; i++) {
    h = crypto.keccak256(h);
  }
  let x = BigInt.fromI32(1);
  for (let i = 0; i < 100; i++) {
    x = x.times(BigInt.fromI32(3)).plus(BigInt.fromI32(i));
  }
  counter = (h[0] as i32) + x.mod(BigInt.fromI32(1000)).toI32();
}

// Arithmetic, typed-array and string work in wasm alone: what fuel metering slows down most.
export function wasmKernel(block: ethereum.Block): void {
  let data = new Uint32Array(1024);
  let x: u32 = 2463534242;
  for (let i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i & 1023] += x;
  }
  let s = "";
  for (let i = 0; i < 256; i++) {
    s += data[i].toString();
  }
  counter = s.length + (data[7] as i32);
}

// ---------------------------------------------------------------------------------------------
// Derived fields (store.loadRelated)

/** Ids of entities, comma-separated. */
function idList<T>(entities: T[]): string {
  let ids = new Array<string>();
  for (let i = 0; i < entities.length; i++) {
    let id = changetype<Entity>(entities[i]).get("id")!;
    ids.push(id.kind == 6 ? id.toBytes().toHexString() : id.toString());
  }
  return ids.join(",");
}

/**
 * `store.loadRelated` before and after changes in the block. The Rust test preloads children
 * `c1`, `c2`, `c4` of `p1` and `c3` of `p2`, and eggs `0x01`, `0x02` of nest `0xaa`.
 */
export function loadRelatedOps(block: ethereum.Block): void {
  let parent = new Parent("p1");
  let strings = new Array<string>();
  strings.push(idList(parent.children.load()));

  // Moved to another parent, created, removed, and renamed (still the same parent).
  let c2 = Child.load("c2")!;
  c2.parent = "p2";
  c2.save();
  let c5 = new Child("c5");
  c5.parent = "p1";
  c5.name = "new";
  c5.save();
  store.remove("Child", "c4");
  let c1 = Child.load("c1")!;
  c1.name = "renamed";
  c1.save();
  let children = parent.children.load();
  strings.push(idList(children));
  strings.push(children[0].name! + "," + children[1].name!);
  strings.push(idList(store.loadRelated("Parent", "p2", "children")));
  // A single derived field still loads a list; an unknown parent has no children.
  strings.push(idList(parent.firstborn.load()));
  strings.push(idList(store.loadRelated("Parent", "nobody", "children")));

  let egg = new Egg(Bytes.fromHexString("0x03"));
  egg.nest = Bytes.fromHexString("0xaa");
  egg.save();
  let nest = new Nest(Bytes.fromHexString("0xaa"));
  let eggs = nest.eggs.load();
  strings.push(idList(eggs));
  strings.push(eggs[0].nest.toHexString());

  let o = new Output("loadRelated");
  o.strings = strings;
  o.save();
}

export function loadRelatedNotDerived(block: ethereum.Block): void {
  store.loadRelated("Parent", "p1", "name");
}

export function loadRelatedUnknownField(block: ethereum.Block): void {
  store.loadRelated("Parent", "p1", "nope");
}

export function loadRelatedFromList(block: ethereum.Block): void {
  new Parent("p1").labels.load();
}

export function loadRelatedFromInterface(block: ethereum.Block): void {
  store.loadRelated("Parent", "p1", "pets");
}

export function loadRelatedBadId(block: ethereum.Block): void {
  store.loadRelated("Nest", "not hex", "eggs");
}

// ---------------------------------------------------------------------------------------------
// Chain state (ethereum.getBalance, ethereum.hasCode)

/**
 * Balances and code of the accounts the test names in the context (`accounts`: a list of
 * addresses), at the trigger's block.
 */
export function ethState(block: ethereum.Block): void {
  let accounts = dataSource.context().get("accounts")!.toArray();
  let balances = new Array<BigInt>();
  let codes = new Array<bool>();
  for (let i = 0; i < accounts.length; i++) {
    let account = changetype<Address>(accounts[i].toBytes());
    balances.push(ethereum.getBalance(account));
    codes.push(ethereum.hasCode(account).inner);
  }
  let o = new Output("ethState");
  o.bigInts = balances;
  o.bools = codes;
  o.save();
}

export function ethHasCode(block: ethereum.Block): void {
  let o = new Output("ethHasCode");
  o.bools = [ethereum.hasCode(Address.fromString("0x0123123123012312312301231231230123123123")).inner];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// ENS

export function ensName(block: ethereum.Block): void {
  // The label hash of "dealdrafts", which graph-node finds when its rainbow table is loaded.
  let name = ens.nameByHash("0x7f0c1b04d1a4926f9c635a030eeb611d4c26e5e73291b32a1c7a4ac56935b5b3");
  let o = new Output("ens");
  o.bools = [name == null];
  o.save();
}

// ---------------------------------------------------------------------------------------------
// YAML

/** `(kind) value`, recursively: how the tests compare parsed documents. */
function yamlText(value: YAMLValue): string {
  let body: string;
  if (value.isNull()) {
    body = "null";
  } else if (value.isBool()) {
    body = value.toBool() ? "true" : "false";
  } else if (value.isNumber()) {
    body = value.toNumber();
  } else if (value.isString()) {
    body = value.toString();
  } else if (value.isArray()) {
    let items = value.toArray();
    let parts = new Array<string>();
    for (let i = 0; i < items.length; i++) {
      parts.push(yamlText(items[i]));
    }
    body = "[" + parts.join(", ") + "]";
  } else if (value.isObject()) {
    let entries = value.toObject().entries;
    let parts = new Array<string>();
    for (let i = 0; i < entries.length; i++) {
      parts.push(yamlText(entries[i].key) + ": " + yamlText(entries[i].value));
    }
    body = "{" + parts.join(", ") + "}";
  } else {
    let tagged = value.toTagged();
    body = tagged.tag + " " + yamlText(tagged.value);
  }
  return "(" + (value.kind as i32).toString() + ") " + body;
}

/** Parses each document with `yaml.try_fromBytes`; an error is `error`. */
export function yamlOps(block: ethereum.Block): void {
  let documents = [
    "null",
    "~",
    "",
    "true",
    "false",
    "12345",
    "-12345",
    "12345.6789",
    "1e3",
    "0x1f",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    ".nan",
    "-.inf",
    "aa bb cc",
    "'aa bb cc'",
    '"a\\u263a"',
    "[1, 2, 3, 4]",
    "- 1\n- 2\n- 3\n- 4\n",
    "{c: 1, a: 2, b: 3}",
    "c: 1\na: 2\nb: 3\n",
    "!AA bb cc",
    "!!str 12",
    "? [1, 2]\n: seq key\n1: int\ntrue: bool\n~: null\n",
    "base: &b {x: 1}\ncopy: *b\n",
    "top: !Ref\n  list: [a, !Sub {k: v}]\n  text: |\n    two\n    lines\n",
    "a: 1\na: 2\n",
    "[1, 2",
    "--- 1\n--- 2\n",
  ];
  let strings = new Array<string>();
  for (let i = 0; i < documents.length; i++) {
    let result = yaml.try_fromBytes(Bytes.fromUTF8(documents[i]));
    strings.push(result.isOk ? yamlText(result.value) : "error");
  }
  // `fromBytes` and graph-ts's accessors.
  let manifest = yaml.fromString("dataSources:\n  - name: Token\n    source: {address: '0x01'}\n");
  strings.push(manifest["dataSources"]["0"]["source"]["address"].toString());
  let o = new Output("yaml");
  o.strings = strings;
  o.save();
}

export function yamlInvalid(block: ethereum.Block): void {
  yaml.fromString("{unclosed");
}

/** One byte over the size limit. */
function tooLarge(): Bytes {
  let big = new Bytes(10000001);
  big.fill(0x20);
  return big;
}

export function yamlTooLarge(block: ethereum.Block): void {
  let o = new Output("yamlTooLarge");
  o.bools = [yaml.try_fromBytes(tooLarge()).isError];
  o.save();
}

export function yamlTooLargeFails(block: ethereum.Block): void {
  yaml.fromBytes(tooLarge());
}
