#!/usr/bin/env bash
# Rebuilds the vendored ENS subgraph the way upstream's package.json does (`yarn codegen`, which is
# `graph codegen --output-dir src/types/`, then `yarn build`, which is `graph build`), with
# graph-cli 0.98.1 from the repository's node_modules. The outputs (src/types/, build/) are
# committed so that `cargo test` needs no Node; re-running gives byte-identical outputs.
# scripts/build-examples.sh calls this after compiling contracts/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="$root/node_modules/.bin"

cd "$here"
rm -rf src/types build
"$bin/graph" codegen --output-dir src/types/
"$bin/graph" build
