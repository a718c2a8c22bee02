#!/usr/bin/env bash
# Runs Sprig's whole test suite: installs the Node tools the tests use (anvil, solc, graph-cli) into
# ./node_modules when missing, then runs every Rust test, formatting and lint checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/anvil ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
