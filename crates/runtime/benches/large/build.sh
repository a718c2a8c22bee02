#!/usr/bin/env bash
# Regenerates and rebuilds the benchmark mapping: `node generate.mjs`, then `graph codegen &&
# graph build` in a scratch copy, keeping only the wasm (Large.wasm). The generated sources
# (schema.graphql, subgraph.yaml, abis/, src/) and the wasm are committed, so `cargo bench` needs
# no Node; codegen's output is not (it is rebuilt from them). graph-cli and graph-ts come from
# node_modules/ at the repository root (`npm install` there).
#
# Usage: build.sh           regenerate and rebuild in place
#        build.sh --check   regenerate and rebuild in a scratch copy; fail if the committed files differ
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
graph="$repo/node_modules/.bin/graph"
if [[ ! -x "$graph" ]]; then
  echo "build.sh: $graph not found; run 'npm install' at the repository root first" >&2
  exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# The repository's layout: graph-cli finds graph-ts by walking up from the subgraph folder, and
# the relative path it takes ends up in the wasm's name section.
work="$scratch/crates/runtime/benches/large"
mkdir -p "$work"
ln -s "$repo/node_modules" "$scratch/node_modules"
cp "$here/generate.mjs" "$work/"
node "$work/generate.mjs"
(cd "$work" && "$graph" codegen >"$scratch/build.log" 2>&1 && "$graph" build >>"$scratch/build.log" 2>&1) ||
  { cat "$scratch/build.log" >&2; exit 1; }
cp "$work/build/Large/Large.wasm" "$work/Large.wasm"
outputs=(schema.graphql subgraph.yaml abis src Large.wasm)

if [[ "${1:-}" == "--check" ]]; then
  stale=0
  for f in "${outputs[@]}"; do
    diff -r "$here/$f" "$work/$f" >/dev/null || { echo "build.sh: $f is stale" >&2; stale=1; }
  done
  if [[ $stale -ne 0 ]]; then
    echo "build.sh: the committed benchmark mapping is stale; run $0" >&2
    exit 1
  fi
  echo "build.sh: the committed benchmark mapping is up to date"
  exit 0
fi

for f in "${outputs[@]}"; do
  rm -rf "${here:?}/$f"
  cp -r "$work/$f" "$here/$f"
done
echo "build.sh: $(wc -c <"$here/Large.wasm") bytes in $here/Large.wasm" >&2
