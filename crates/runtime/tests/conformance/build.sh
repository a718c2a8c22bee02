#!/usr/bin/env bash
# Rebuilds the host API conformance mappings of sprig-runtime (`graph codegen && graph build` in
# this folder; the schema and ABI are tests/wasm's). generated/ and build/ are committed so that
# `cargo test -p sprig-runtime` needs no Node. graph-cli and graph-ts come from node_modules/ at
# the repository root.
#
# Usage: build.sh           rebuild in place
#        build.sh --check   rebuild in a temporary copy and fail if the committed outputs differ
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_modules="$here/../../../../node_modules"
graph="$node_modules/.bin/graph"
if [[ ! -x "$graph" ]]; then
  echo "build.sh: $graph not found; run 'npm install' at the repository root first" >&2
  exit 1
fi

if [[ "${1:-}" == "--check" ]]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  # The repository's layout: graph-cli finds graph-ts by walking up, and the path it takes ends
  # up in the wasm's name section.
  tmp="$root/crates/runtime/tests/conformance"
  mkdir -p "$tmp" "$root/crates/runtime/tests/wasm"
  ln -s "$(cd "$node_modules" && pwd)" "$root/node_modules"
  cp -r "$here/../wasm/abis" "$here/../wasm/schema.graphql" "$root/crates/runtime/tests/wasm/"
  cp -r "$here/src" "$here/subgraph.yaml" "$tmp/"
  (cd "$tmp" && "$graph" codegen >/dev/null 2>&1 && "$graph" build >/dev/null 2>&1)
  if diff -r "$here/generated" "$tmp/generated" && diff -r "$here/build" "$tmp/build"; then
    echo "build.sh: the committed conformance mappings are up to date"
  else
    echo "build.sh: the committed conformance mappings are stale; run $0" >&2
    exit 1
  fi
  exit 0
fi

cd "$here"
rm -rf generated build
"$graph" codegen
"$graph" build
