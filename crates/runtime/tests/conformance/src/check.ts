// Assertions inside the mapping: a mismatch aborts the handler with a message naming the case,
// which the Rust test reports as the failure.

export function eq(what: string, actual: string, expected: string): void {
  if (actual != expected) {
    throw new Error(what + ": expected `" + expected + "`, got `" + actual + "`");
  }
}

export function ok(what: string, cond: bool): void {
  if (!cond) {
    throw new Error(what + ": not true");
  }
}
