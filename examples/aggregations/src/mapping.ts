import { BigInt, ethereum } from "@graphprotocol/graph-ts";
import { Block } from "../generated/schema";

export function handleBlock(block: ethereum.Block): void {
  // graph-cli's codegen types timeseries ids as Int8; the store replaces this 0 with a
  // generated id and sets `timestamp`.
  let point = new Block(0);
  point.number = block.number;
  point.parity = block.number.mod(BigInt.fromI32(2)).toI32();
  point.save();
}
