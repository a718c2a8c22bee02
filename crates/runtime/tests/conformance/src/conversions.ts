// typeConversion.*, json.*, crypto.keccak256 and UTF-16 strings.
import { Address, Bytes, BigInt, crypto, ethereum, json, JSONValue } from "@graphprotocol/graph-ts";
import { Output } from "../generated/schema";
import { eq, ok } from "./check";

export function test_conversion_base58_and_hex(block: ethereum.Block): void {
  // graph-node runtime/test bytes_to_base58 vector.
  let multihash = Bytes.fromHexString(
    "0x12207D5A99F603F231D53A4F39D1521F98D2E8BB279CF29BEBFD0687DC98458E7F89"
  );
  eq("base58", multihash.toBase58(), "QmWmyoMoctfbAaiEs2G46gpeUmhqFRDW6KWo64y5r581Vz");
  eq("hex lowercases", Bytes.fromHexString("0xdeadBEEF").toHexString(), "0xdeadbeef");
  eq("empty hex", Bytes.fromHexString("0x").toHexString(), "0x");
  eq("bigint from bytes (little endian, signed)", BigInt.fromSignedBytes(Bytes.fromHexString("0xff")).toString(), "-1");
  eq("bigint from bytes (unsigned)", BigInt.fromUnsignedBytes(Bytes.fromHexString("0xff")).toString(), "255");
}

export function test_crypto_keccak256(block: ethereum.Block): void {
  // graph-node runtime/test crypto vector, and the empty input.
  eq("eth", crypto.keccak256(Bytes.fromUTF8("eth")).toHexString(),
    "0x4f5b812789fc606be1b3b16908db13fc7a9adf7ca72641f84d75b47069d3d7f0");
  eq("empty", crypto.keccak256(Bytes.fromHexString("0x")).toHexString(),
    "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

export function test_strings_utf16(block: ethereum.Block): void {
  let clef = "𝄞"; // U+1D11E: a surrogate pair in UTF-16
  ok("a surrogate pair is two UTF-16 units", clef.length == 2);
  eq("utf8 of a surrogate pair", Bytes.fromUTF8(clef).toHexString(), "0xf09d849e");
  eq("utf8 round trip", Bytes.fromUTF8(clef + "x").toString(), clef + "x");
  // Through the store: written, then read back from the entity cache.
  let o = new Output("utf16");
  o.strings = [clef, "漢字🇧🇷", ""];
  o.save();
  let back = Output.load("utf16")!;
  let s = back.strings!;
  eq("store: surrogate pair", s[0], clef);
  eq("store: flag", s[1], "漢字🇧🇷");
  eq("store: empty", s[2], "");
  // graph-node drops NUL characters from every string a mapping hands the host.
  o.strings = ["a\u0000b"];
  o.save();
  eq("store: NUL dropped", Output.load("utf16")!.strings![0], "ab");
}

export function test_json_numbers(block: ethereum.Block): void {
  // graph-node runtime/test json_conversions vectors.
  eq("toU64", json.fromString("9223372036850770800").toU64().toString(), "9223372036850770800");
  eq("toI64", json.fromString("-9223372036850770800").toI64().toString(), "-9223372036850770800");
  eq("toBigInt", json.fromString("-922337203685077092345034").toBigInt().toString(),
    "-922337203685077092345034");
  eq("u64 max", json.fromString("18446744073709551615").toU64().toString(), "18446744073709551615");
  eq("beyond u256", json.fromString("1157920892373161954235709850086879078532699846656405640394575840079131296399351").toBigInt().toString(),
    "1157920892373161954235709850086879078532699846656405640394575840079131296399351");
  let parsed = json.try_fromString("foo");
  ok("invalid JSON is an error for try_", parsed.isError);
  let v: JSONValue = json.fromString("{\"a\":[1,true,null,\"x\"]}");
  let a = v.toObject().get("a")!.toArray();
  ok("array length", a.length == 4);
  ok("bool", a[1].toBool());
  ok("null", a[2].isNull());
  eq("string", a[3].toString(), "x");
}

export function fails_json_i64_overflow(block: ethereum.Block): void {
  json.fromString("9223372036854775808").toI64();
}

export function fails_json_u64_negative(block: ethereum.Block): void {
  json.fromString("-1").toU64();
}

export function fails_json_bigint_fraction(block: ethereum.Block): void {
  json.fromString("1.5").toBigInt();
}

export function test_json_f64(block: ethereum.Block): void {
  // graph-node parses a JSON number's text with Rust's `f64::from_str`: correctly rounded,
  // infinity beyond f64's range, zero below it.
  ok("fraction", json.fromString("1.5").toF64() == 1.5);
  ok("negative", json.fromString("-0.25").toF64() == -0.25);
  ok("0.1 rounds to the nearest f64", json.fromString("0.1").toF64() == 0.1);
  ok("integer", json.fromString("42").toF64() == 42.0);
  ok("exponent", json.fromString("1e300").toF64() == 1e300);
  ok("integer beyond u64", json.fromString("123456789012345678901234567890").toF64() == 1.2345678901234568e29);
  ok("smallest subnormal", json.fromString("5e-324").toF64() == 5e-324);
  ok("beyond f64 is infinity", json.fromString("1e400").toF64() == Infinity);
  ok("below f64 is negative infinity", json.fromString("-1e400").toF64() == -Infinity);
  ok("underflow is zero", json.fromString("1e-400").toF64() == 0.0);
}

export function test_string_to_h160(block: ethereum.Block): void {
  // No checksum check: any mix of cases, with or without `0x`.
  eq("0x and mixed case", Address.fromString("0xDEADbeef000000000000000000000000000000Aa").toHexString(),
    "0xdeadbeef000000000000000000000000000000aa");
  eq("no 0x", Address.fromString("deadbeef00000000000000000000000000000001").toHexString(),
    "0xdeadbeef00000000000000000000000000000001");
}

export function fails_string_to_h160_not_hex(block: ethereum.Block): void {
  Address.fromString("0xzz00000000000000000000000000000000000000");
}

export function fails_string_to_h160_short(block: ethereum.Block): void {
  Address.fromString("0x1234");
}

export function fails_string_to_h160_long(block: ethereum.Block): void {
  Address.fromString("0x000000000000000000000000000000000000000001");
}
