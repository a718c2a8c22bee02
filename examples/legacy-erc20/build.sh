#!/usr/bin/env bash
# Rebuilds this example with the toolchains of its era, from the same sources (subgraph.yaml,
# schema.graphql, src/mapping.ts):
#   build/         apiVersion 0.0.4: graph-cli 0.20.0 and graph-ts 0.20.0
#   v0.0.3/build/  apiVersion 0.0.3: graph-cli 0.17.1 and graph-ts 0.17.0 (v0.0.3/subgraph.yaml),
#                  the toolchain of the moloch subgraphs, whose graph-ts has no functionSignature
# Both compile with AssemblyScript 0.6; tools/legacy-graph-cli pins and installs the toolchains
# (their node_modules are linked here while building). The outputs (generated/, build/,
# v0.0.3/build/) are committed so that `cargo test` needs no Node; re-running gives
# byte-identical outputs. scripts/build-examples.sh calls this. Without the toolchains (see
# tools/legacy-graph-cli/install.sh) the committed outputs are left as they are, with a message.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/../../tools/legacy-graph-cli"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" "$here/node_modules"' EXIT

status=0
"$tools/install.sh" 0.20 0.17 || status=$?
if [[ $status == 2 ]]; then
  echo "legacy-erc20: committed build left as is" >&2
  exit 0
elif [[ $status != 0 ]]; then
  exit "$status"
fi

# apiVersion 0.0.4, in place.
cd "$here"
ln -sfn "$tools/0.20/node_modules" node_modules
rm -rf generated build
node_modules/.bin/graph codegen >/dev/null
node_modules/.bin/graph build >/dev/null

# apiVersion 0.0.3, in a copy laid out like the repository (the manifest names erc20's ABI by a
# relative path, and the mapping imports its own generated/), of which only build/ is kept.
copy="$tmp/examples/legacy-erc20-v0.0.3"
mkdir -p "$copy" "$tmp/examples/erc20/contracts/out"
cp "$here/../erc20/contracts/out/Token.abi.json" "$tmp/examples/erc20/contracts/out/"
cp -r "$here/schema.graphql" "$here/src" "$here/v0.0.3/subgraph.yaml" "$copy/"
ln -s "$tools/0.17/node_modules" "$copy/node_modules"
(cd "$copy" && node_modules/.bin/graph codegen >/dev/null && node_modules/.bin/graph build >/dev/null)
rm -rf "$here/v0.0.3/build"
cp -r "$copy/build" "$here/v0.0.3/build"
