#!/usr/bin/env bash
# Rebuilds the host API conformance mappings of sprig-runtime: `graph codegen && graph build` in
# this folder (apiVersion 0.0.9; the schema and ABI are tests/wasm's; graph-cli and graph-ts from
# node_modules/ at the repository root) and in v0.0.4/ (apiVersion 0.0.4, AssemblyScript 0.6;
# graph-cli 0.20 from tools/legacy-graph-cli, whose node_modules is linked there while building).
# generated/ and build/ are committed so that `cargo test -p sprig-runtime` needs no Node.
#
# Usage: build.sh           rebuild in place
#        build.sh --check   rebuild in a temporary copy and fail if the committed outputs differ
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
node_modules="$repo/node_modules"
legacy="$repo/tools/legacy-graph-cli"
if [[ ! -x "$node_modules/.bin/graph" ]]; then
  echo "build.sh: $node_modules/.bin/graph not found; run 'npm install' at the repository root first" >&2
  exit 1
fi
"$legacy/install.sh" 0.20

# Builds the mappings of the conformance folder $1 (laid out as in the repository, so that the
# paths graph-cli writes into the wasm's name section are the same everywhere).
build() {
  (cd "$1" && rm -rf generated build && "$graph" codegen >/dev/null 2>&1 && "$graph" build >/dev/null 2>&1) ||
    { echo "build.sh: graph build failed in $1; run it there to see why" >&2; exit 1; }
}

build_both() {
  local dir="$1"
  graph="$node_modules/.bin/graph" build "$dir"
  ln -sfn "$legacy/0.20/node_modules" "$dir/v0.0.4/node_modules"
  graph="$dir/v0.0.4/node_modules/.bin/graph" build "$dir/v0.0.4"
  rm "$dir/v0.0.4/node_modules"
}

if [[ "${1:-}" == "--check" ]]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  # The repository's layout: graph-cli finds graph-ts by walking up, and the path it takes ends
  # up in the wasm's name section.
  tmp="$root/crates/runtime/tests/conformance"
  mkdir -p "$tmp/v0.0.4" "$root/crates/runtime/tests/wasm"
  ln -s "$node_modules" "$root/node_modules"
  cp -r "$here/../wasm/abis" "$here/../wasm/schema.graphql" "$root/crates/runtime/tests/wasm/"
  cp -r "$here/src" "$here/subgraph.yaml" "$tmp/"
  cp -r "$here/v0.0.4/src" "$here/v0.0.4/subgraph.yaml" "$here/v0.0.4/schema.graphql" \
    "$here/v0.0.4/Test.abi.json" "$tmp/v0.0.4/"
  build_both "$tmp"
  stale=0
  for out in generated build v0.0.4/generated v0.0.4/build; do
    diff -r "$here/$out" "$tmp/$out" || stale=1
  done
  if [[ $stale == 0 ]]; then
    echo "build.sh: the committed conformance mappings are up to date"
  else
    echo "build.sh: the committed conformance mappings are stale; run $0" >&2
    exit 1
  fi
  exit 0
fi

trap 'rm -f "$here/v0.0.4/node_modules"' EXIT
build_both "$here"
