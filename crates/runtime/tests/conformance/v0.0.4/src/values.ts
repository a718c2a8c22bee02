// Strings, bytes, conversions, JSON, the store, dataSource and log through the AssemblyScript 0.6
// layout (strings without a header, arrays and typed arrays with a separate buffer, TypedMap
// entries, Result).
import {
  Address, BigDecimal, BigInt, ByteArray, Bytes, crypto, dataSource, ethereum, json, JSONValue,
  JSONValueKind, log, TypedMap
} from "@graphprotocol/graph-ts";
import { AllKinds, Output } from "../generated/schema";
import { eq, ok } from "./check";

export function test_conversions(block: ethereum.Block): void {
  let multihash = ByteArray.fromHexString(
    "0x12207D5A99F603F231D53A4F39D1521F98D2E8BB279CF29BEBFD0687DC98458E7F89"
  );
  eq("base58", multihash.toBase58(), "QmWmyoMoctfbAaiEs2G46gpeUmhqFRDW6KWo64y5r581Vz");
  eq("hex lowercases", ByteArray.fromHexString("0xdeadBEEF").toHexString(), "0xdeadbeef");
  eq("address", Address.fromString("0xDEADbeef000000000000000000000000000000Aa").toHexString(),
    "0xdeadbeef000000000000000000000000000000aa");
  eq("keccak256", crypto.keccak256(ByteArray.fromHexString("0x657468")).toHexString(),
    "0x4f5b812789fc606be1b3b16908db13fc7a9adf7ca72641f84d75b47069d3d7f0");
  eq("bytes to string", ByteArray.fromHexString("0xf09d849e78").toString(), "𝄞x");
  eq("signed bytes", BigInt.fromSignedBytes(Bytes.fromHexString("0xff") as Bytes).toString(), "-1");
  eq("unsigned bytes", BigInt.fromUnsignedBytes(Bytes.fromHexString("0xff") as Bytes).toString(), "255");
}

export function test_json(block: ethereum.Block): void {
  let text = "{\"n\":18446744073709551615,\"i\":-9223372036854775808,\"big\":-922337203685077092345034,\"f\":1.5,\"a\":[1,true,null,\"x𝄞\"]}";
  let value = json.fromBytes(ByteArray.fromUTF8(text) as Bytes);
  ok("object", value.kind == JSONValueKind.OBJECT);
  let object = value.toObject();
  ok("u64 max", object.get("n").toU64() == u64.MAX_VALUE);
  ok("i64 min", object.get("i").toI64() == i64.MIN_VALUE);
  eq("big", object.get("big").toBigInt().toString(), "-922337203685077092345034");
  ok("f64", object.get("f").toF64() == 1.5);
  let a = object.get("a").toArray();
  ok("array length", a.length == 4);
  ok("bool", a[1].toBool());
  ok("null", a[2].isNull());
  eq("string", a[3].toString(), "x𝄞");
  // Keys come sorted: graph-node's serde_json has no `preserve_order` (its Cargo.lock gives
  // serde_json no indexmap dependency), so objects are BTreeMaps.
  let keys = "";
  for (let i = 0; i < object.entries.length; i++) {
    keys = keys + object.entries[i].key + " ";
  }
  eq("keys sorted", keys, "a big f i n ");
  let bad = json.try_fromBytes(ByteArray.fromUTF8("{nope") as Bytes);
  ok("try_ reports invalid JSON", bad.isError);
  let good = json.try_fromBytes(ByteArray.fromUTF8("[2]") as Bytes);
  ok("try_ returns a value", good.isOk && good.value.toArray()[0].toI64() == 2);
}

export function test_store_round_trip(block: ethereum.Block): void {
  let clef = "𝄞";
  let o = new Output("v4");
  o.strings = [clef, "漢字", ""];
  o.bigInts = [BigInt.fromI32(-1), BigInt.fromString("115792089237316195423570985008687907853269984665640564039457584007913129639935")];
  o.bigDecimals = [BigDecimal.fromString("-0.000001"), BigDecimal.fromString("12345678901234567890.5")];
  o.bytes = [Bytes.fromHexString("0x00ff") as Bytes, Bytes.fromHexString("0x") as Bytes];
  o.ints = [-2147483648, 0, 2147483647];
  o.bools = [true, false];
  o.save();
  let back = Output.load("v4");
  ok("loaded", back != null);
  let s = back.strings as Array<string>;
  eq("surrogate pair", s[0], clef);
  eq("cjk", s[1], "漢字");
  eq("empty", s[2], "");
  let b = back.bigInts as Array<BigInt>;
  eq("bigint -1", b[0].toString(), "-1");
  eq("u256 max", b[1].toString(), "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  let d = back.bigDecimals as Array<BigDecimal>;
  eq("small decimal", d[0].toString(), "-0.000001");
  eq("long decimal", d[1].toString(), "12345678901234567890.5");
  let y = back.bytes as Array<Bytes>;
  eq("bytes", y[0].toHexString(), "0x00ff");
  eq("empty bytes", y[1].toHexString(), "0x");
  let n = back.ints as Array<i32>;
  ok("ints", n[0] == -2147483648 && n[1] == 0 && n[2] == 2147483647);
  let f = back.bools as Array<boolean>;
  ok("bools", f[0] && !f[1]);
  let k = new AllKinds("v4");
  k.str = "a\u0000b";
  k.int = -7;
  k.bigInt = BigInt.fromI32(-42);
  k.bigDecimal = BigDecimal.fromString("3.14");
  k.bool = true;
  k.bytes = Bytes.fromHexString("0xabcd") as Bytes;
  k.save();
  let kb = AllKinds.load("v4");
  eq("NUL dropped", kb.str as string, "ab");
  ok("int", kb.int == -7);
  eq("bigint", (kb.bigInt as BigInt).toString(), "-42");
  eq("decimal", (kb.bigDecimal as BigDecimal).toString(), "3.14");
  ok("bool", kb.bool);
  eq("bytes", (kb.bytes as Bytes).toHexString(), "0xabcd");
  kb.unset("str");
  kb.save();
  ok("unset", AllKinds.load("v4").str == null);
}

export function test_data_source(block: ethereum.Block): void {
  eq("address", dataSource.address().toHexString(), "0x0123123123012312312301231231230123123123");
  eq("network", dataSource.network(), "mainnet");
}

export function test_log_levels(block: ethereum.Block): void {
  log.debug("debug {}", ["a"]);
  log.info("info {} {}", ["a", "b"]);
  log.warning("warning", []);
  log.error("error {}", ["𝄞"]);
}

export function fails_log_critical(block: ethereum.Block): void {
  log.critical("stop at {}", ["here"]);
}

export function fails_json_i64_overflow(block: ethereum.Block): void {
  json.fromBytes(ByteArray.fromUTF8("9223372036854775808") as Bytes).toI64();
}

export function fails_string_to_h160_short(block: ethereum.Block): void {
  Address.fromString("0x1234");
}

export function fails_json_invalid(block: ethereum.Block): void {
  json.fromBytes(ByteArray.fromUTF8("{nope") as Bytes);
}
