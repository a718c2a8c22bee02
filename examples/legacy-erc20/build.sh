#!/usr/bin/env bash
# Rebuilds this example with the toolchains of its era, from the same sources (subgraph.yaml,
# schema.graphql, src/mapping.ts):
#   build/         apiVersion 0.0.4: graph-cli 0.20.0 and graph-ts 0.20.0 (this folder's package.json)
#   v0.0.3/build/  apiVersion 0.0.3: graph-cli 0.17.1 and graph-ts 0.17.0 (v0.0.3/package.json),
#                  the toolchain of the moloch subgraphs, whose graph-ts has no functionSignature
# Both compile with AssemblyScript 0.6 at git commit 36040d5b, which graph-cli and graph-ts name by
# a GitHub URL; the package.json `overrides` substitute a local package built from that commit.
# The outputs (generated/, build/, v0.0.3/build/) are committed so that `cargo test` needs no
# Node; re-running gives byte-identical outputs. scripts/build-examples.sh calls this.
#
# The toolchains go into this folder's own node_modules/ folders, never the repository's.
# AssemblyScript 0.6 is not on the npm registry: it is committed, packed, in .toolchain/ (see its
# README.md). If that file is removed, it is packed again from a git repository holding the
# commit, taken from $ASSEMBLYSCRIPT_GIT (a local clone or mirror) or cloned from GitHub; without
# either, the build is skipped with a message and the committed outputs are left as they are.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
commit=36040d5b5312f19a025782b5e36663823494c2f3
tarball="$here/.toolchain/assemblyscript-0.6.0.tgz"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Packs AssemblyScript 0.6 into $tarball; fails if no repository with the commit is reachable.
pack_assemblyscript() {
  local repo="${ASSEMBLYSCRIPT_GIT:-https://github.com/AssemblyScript/assemblyscript}"
  if [[ ! -d "$repo" ]]; then
    git clone --quiet "$repo" "$tmp/clone" 2>/dev/null || return 1
    repo="$tmp/clone"
  fi
  git -C "$repo" archive --format=tar --prefix=assemblyscript/ "$commit" 2>/dev/null |
    tar -x -C "$tmp" || return 1
  (cd "$tmp" && npm pack --ignore-scripts --silent ./assemblyscript >/dev/null)
  mkdir -p "$(dirname "$tarball")"
  mv "$tmp/assemblyscript-0.6.0.tgz" "$tarball"
}

# Installs the toolchain of the package.json in folder $1 into its node_modules/.
install_toolchain() {
  [[ -x "$1/node_modules/.bin/graph" ]] && return 0
  if [[ ! -f "$tarball" ]] && ! pack_assemblyscript; then
    echo "legacy-erc20: toolchain unavailable (AssemblyScript commit $commit not found; set" \
      "ASSEMBLYSCRIPT_GIT to a clone of github.com/AssemblyScript/assemblyscript); committed" \
      "build left as is" >&2
    exit 0
  fi
  # No install scripts: the old dependency tree builds native modules graph-cli needs only for
  # deploying, which this build never does.
  (cd "$1" && npm install --no-audit --no-fund --ignore-scripts --silent)
}

install_toolchain "$here"
install_toolchain "$here/v0.0.3"

# apiVersion 0.0.4, in place.
cd "$here"
rm -rf generated build
node_modules/.bin/graph codegen >/dev/null
node_modules/.bin/graph build >/dev/null

# apiVersion 0.0.3, in a copy laid out like the repository (the manifest names erc20's ABI by a
# relative path, and the mapping imports its own generated/), of which only build/ is kept.
copy="$tmp/examples/legacy-erc20-v0.0.3"
mkdir -p "$copy" "$tmp/examples/erc20/contracts/out"
cp "$here/../erc20/contracts/out/Token.abi.json" "$tmp/examples/erc20/contracts/out/"
cp -r "$here/schema.graphql" "$here/src" "$here/v0.0.3/subgraph.yaml" "$copy/"
ln -s "$here/v0.0.3/node_modules" "$copy/node_modules"
(cd "$copy" && node_modules/.bin/graph codegen >/dev/null && node_modules/.bin/graph build >/dev/null)
rm -rf "$here/v0.0.3/build"
cp -r "$copy/build" "$here/v0.0.3/build"
