import { Bumped, Pair as PairContract } from "../generated/templates/Pair/Pair";
import { Bump, Pair } from "../generated/schema";

export function handleBumped(event: Bumped): void {
  let pair = Pair.load(event.address);
  if (pair == null) {
    // Only pairs announced by the Factory are watched, so this cannot happen.
    return;
  }
  pair.count = PairContract.bind(event.address).count();
  pair.countFromEvents = pair.countFromEvents.plus(event.params.by);
  pair.bumpCount = pair.bumpCount + 1;
  pair.save();

  let bump = new Bump(event.transaction.hash.concatI32(event.logIndex.toI32()));
  bump.pair = event.address;
  bump.caller = event.params.caller;
  bump.by = event.params.by;
  bump.newCount = event.params.newCount;
  bump.blockNumber = event.block.number;
  bump.save();
}
