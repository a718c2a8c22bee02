#!/usr/bin/env bash
# Rebuilds the vendored Uniswap v2 subgraph the way upstream's `yarn build --network ethereum
# --subgraph-type v2` does (script/utils/deploy-utils.ts: copy the network's chain.ts into
# src/common, render the manifest template with mustache and the network's config.json, then
# `graph codegen`), followed by `graph build`. The outputs (src/common/chain.ts, v2-subgraph.yaml,
# generated/, build/) are committed so that `cargo test` needs no Node; re-running gives
# byte-identical outputs. scripts/build-examples.sh calls this after compiling contracts/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="$root/node_modules/.bin"
network=ethereum

cd "$here"
cp "config/$network/chain.ts" src/common/chain.ts
"$bin/mustache" "config/$network/config.json" v2-subgraph.template.yaml >v2-subgraph.yaml
rm -rf generated build
"$bin/graph" codegen v2-subgraph.yaml
"$bin/graph" build v2-subgraph.yaml
