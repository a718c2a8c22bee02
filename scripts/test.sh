#!/usr/bin/env bash
# Runs Sprig's whole test suite: installs the Node tools the tests use (anvil, solc, graph-cli) into
# ./node_modules when missing, checks that the committed wasm builds are current, then runs the
# formatting and lint checks and every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/anvil ] || [ ! -x node_modules/.bin/graph ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
cargo fmt --all -- --check
./scripts/check-examples-built.sh
crates/runtime/tests/wasm/build.sh --check
crates/runtime/tests/conformance/build.sh --check
cargo clippy --workspace --all-targets --locked -- -D warnings
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line for the whole workspace (cargo's last line is often a crate's empty doc-tests).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "summary: %d passed, %d failed\n", passed, failed }' "$log"
