import { BigInt, ethereum } from "@graphprotocol/graph-ts";
import { PairCreated } from "../generated/Factory/Factory";
import { Pair as PairContract } from "../generated/Factory/Pair";
import { Pair as PairTemplate } from "../generated/templates";
import { BlockStat, Pair } from "../generated/schema";

export function handlePairCreated(event: PairCreated): void {
  let address = event.params.pair;
  let pair = new Pair(address);
  pair.label = event.params.label;
  // eth_call against a contract created in this very block.
  pair.labelFromCall = PairContract.bind(address).label();
  pair.index = event.params.index;
  pair.createdAtBlock = event.block.number;
  pair.count = BigInt.zero();
  pair.countFromEvents = BigInt.zero();
  pair.bumpCount = 0;
  pair.save();

  PairTemplate.create(address);
}

export function handleBlock(block: ethereum.Block): void {
  let stat = BlockStat.load("latest");
  if (stat == null) {
    stat = new BlockStat("latest");
    stat.count = 0;
  }
  stat.number = block.number;
  stat.timestamp = block.timestamp;
  stat.count = stat.count + 1;
  stat.save();
}
