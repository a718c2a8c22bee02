import { BigInt, log } from "@graphprotocol/graph-ts";
import { Busy, Calls as CallsEvent, Work as WorkEvent } from "../generated/Busy/Busy";
import { CallBatch, Work } from "../generated/schema";

/** Burns CPU in wasm only (no host calls in the loop), `rounds` xorshift64 steps, so that the
 *  handler's duration is set by the event and its cost is pure fuel. Logs when it starts and
 *  when the loop is done, which tests use to see that the handler is running. */
export function handleWork(event: WorkEvent): void {
  let rounds = event.params.rounds.toU64();
  log.info("work started: {} rounds", [event.params.rounds.toString()]);
  let x: u64 = 0x9e3779b97f4a7c15;
  for (let i: u64 = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  log.info("work done: {} rounds", [event.params.rounds.toString()]);
  let work = new Work(event.transaction.hash.concatI32(event.logIndex.toI32()));
  work.block = event.block.number;
  work.rounds = event.params.rounds;
  work.result = BigInt.fromU64(x);
  work.save();
}

/** Makes `count` `ethereum.call`s of `answer()` one after the other (each waits on the node)
 *  and stores their sum. */
export function handleCalls(event: CallsEvent): void {
  let contract = Busy.bind(event.address);
  let count = event.params.count.toI32();
  let total = BigInt.zero();
  for (let i = 0; i < count; i++) {
    total = total.plus(contract.answer());
  }
  let batch = new CallBatch(event.transaction.hash.concatI32(event.logIndex.toI32()));
  batch.block = event.block.number;
  batch.count = event.params.count;
  batch.total = total;
  batch.save();
}
