#!/usr/bin/env bash
# Rebuilds the test mappings of sprig-runtime: `graph codegen && graph build` in this folder.
# The outputs (generated/ and build/) are committed so that `cargo test -p sprig-runtime` needs no
# Node. graph-cli and graph-ts come from node_modules/ at the repository root (`npm install` there);
# use no other copy: the path graph-cli takes to graph-ts ends up in the wasm's name section.
#
# Usage: build.sh           rebuild in place
#        build.sh --check   rebuild in a temporary copy and fail if the committed outputs differ
#
# It also compiles the mapping with asc directly, with graph-cli's arguments plus `--sourceMap`,
# into source-map/ (Test.wasm and Test.wasm.map): graph-cli cannot emit a source map, and the
# tests of source lines in backtraces need one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_modules="$here/../../../../node_modules"
graph="$node_modules/.bin/graph"
if [[ ! -x "$graph" ]]; then
  echo "build.sh: $graph not found; run 'npm install' at the repository root first" >&2
  exit 1
fi

# What graph-cli 0.98.1 runs (dist/compiler/asc.js), from the subgraph folder, plus `--sourceMap`.
# Its --lib is every node_modules folder above the subgraph: here only the repository's.
source_map_build() {
  "$node_modules/.bin/asc" --explicitStart --exportRuntime --runtime stub src/mapping.ts \
    ../../../../node_modules/@graphprotocol/graph-ts/global/global.ts --baseDir . \
    --lib "$(cd "$node_modules" && pwd)" --outFile source-map/Test.wasm --optimize --debug \
    --sourceMap >/dev/null
}

if [[ "${1:-}" == "--check" ]]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  # The same layout as the repository: graph-cli finds graph-ts by walking up from the subgraph
  # folder, and the relative path it takes ends up in the wasm's name section.
  tmp="$root/crates/runtime/tests/wasm"
  mkdir -p "$tmp"
  ln -s "$(cd "$node_modules" && pwd)" "$root/node_modules"
  cp -r "$here/abis" "$here/src" "$here/schema.graphql" "$here/subgraph.yaml" "$tmp/"
  (cd "$tmp" && "$graph" codegen >/dev/null 2>&1 && "$graph" build >/dev/null 2>&1)
  (cd "$tmp" && source_map_build)
  if diff -r "$here/generated" "$tmp/generated" && diff -r "$here/build" "$tmp/build" &&
    diff -r "$here/source-map" "$tmp/source-map"; then
    echo "build.sh: the committed test mappings are up to date"
  else
    echo "build.sh: the committed test mappings are stale; run $0" >&2
    exit 1
  fi
  exit 0
fi

cd "$here"
rm -rf generated build source-map
"$graph" codegen
"$graph" build
source_map_build
