// Assertions inside the mapping: a mismatch aborts the handler with a message naming the case,
// which the Rust test reports as the failure. (AssemblyScript 0.6's `throw` drops the message, so
// these call `abort` themselves.)

export function eq(what: string, actual: string, expected: string): void {
  if (actual != expected) {
    abort(what + ": expected `" + expected + "`, got `" + actual + "`");
  }
}

export function ok(what: string, cond: boolean): void {
  if (!cond) {
    abort(what + ": not true");
  }
}
