import { Counter } from "../generated/schema";

/** The next position in the order handlers ran in, starting at 1. */
export function nextSeq(): i32 {
  let counter = Counter.load("seq");
  if (counter == null) {
    counter = new Counter("seq");
    counter.value = 0;
  }
  counter.value = counter.value + 1;
  counter.save();
  return counter.value;
}
