// ethereum.encode/decode, dataSource.* and log.log.
import { Address, BigInt, Bytes, dataSource, ethereum, log } from "@graphprotocol/graph-ts";
import { eq, ok } from "./check";

function roundTrip(what: string, type: string, value: ethereum.Value): void {
  let encoded = ethereum.encode(value)!;
  let decoded = ethereum.decode(type, encoded);
  ok(what + ": decodes", decoded != null);
  eq(what + ": re-encodes identically", ethereum.encode(decoded!)!.toHexString(), encoded.toHexString());
}

export function test_ethereum_encode_decode(block: ethereum.Block): void {
  let one = ethereum.Value.fromUnsignedBigInt(BigInt.fromI32(1));
  let addr = ethereum.Value.fromAddress(Address.fromString("0x0000000000000000000000000000000000000002"));
  let pair = ethereum.Value.fromTuple(changetype<ethereum.Tuple>([one, addr]));
  // A static tuple is its words in place.
  eq("(uint256,address)", ethereum.encode(pair)!.toHexString(),
    "0x" + "0".repeat(63) + "1" + "0".repeat(63) + "2");
  roundTrip("(uint256,address)", "(uint256,address)", pair);
  let str = ethereum.Value.fromString("héllo 𝄞");
  roundTrip("(uint256,string)", "(uint256,string)",
    ethereum.Value.fromTuple(changetype<ethereum.Tuple>([one, str])));
  roundTrip("uint8[3]", "uint8[3]", ethereum.Value.fromFixedSizedArray([
    ethereum.Value.fromI32(1), ethereum.Value.fromI32(2), ethereum.Value.fromI32(255)]));
  roundTrip("int32[]", "int32[]", ethereum.Value.fromI32Array([-1, 0, 2147483647]));
  roundTrip("bytes", "bytes", ethereum.Value.fromBytes(Bytes.fromHexString("0x0102030405")));
  let t = ethereum.Value.fromTuple(changetype<ethereum.Tuple>([one, str]));
  roundTrip("(uint256,string)[]", "(uint256,string)[]", ethereum.Value.fromArray([t, t]));
  roundTrip("((uint256,string)[],bool)", "((uint256,string)[],bool)",
    ethereum.Value.fromTuple(changetype<ethereum.Tuple>([
      ethereum.Value.fromArray([t]), ethereum.Value.fromBoolean(true)])));
  ok("undecodable is null", ethereum.decode("uint256", Bytes.fromHexString("0x01")) == null);
}

export function test_data_source(block: ethereum.Block): void {
  eq("address", dataSource.address().toHexString(), "0x0123123123012312312301231231230123123123");
  eq("network", dataSource.network(), "mainnet");
  ok("context without entries", dataSource.context().entries.length == 0);
}

export function test_log_levels(block: ethereum.Block): void {
  log.debug("debug {}", ["x"]);
  log.info("info {} {}", ["a", "b"]);
  log.warning("warning", []);
  log.error("error", []);
}

export function fails_log_critical(block: ethereum.Block): void {
  log.critical("stop at {}", ["here"]);
}

// Removed from graph-ts but still linked by graph-node, failing deterministically: an old
// mapping that imports them loads, and fails only if it calls them.
declare namespace arweave {
  function transactionData(txId: string): Bytes | null;
}
declare namespace box {
  function profile(address: string): Bytes | null;
}

export function fails_arweave_transaction_data(block: ethereum.Block): void {
  arweave.transactionData("Kz2bXn1cI3nGJMq6KqvKKpSyE3pDAO5l4TqL9zWAtNM");
}

export function fails_box_profile(block: ethereum.Block): void {
  box.profile("0x0000000000000000000000000000000000000001");
}
