#!/usr/bin/env bash
# Rebuilds the apiVersion 0.0.4 example with the toolchain of its era: graph-cli 0.20.0 and
# graph-ts 0.20.0, which compile with AssemblyScript 0.6 at git commit 36040d5b (graph-cli and
# graph-ts name it by a GitHub URL; package.json's `overrides` substitutes a local package built
# from that commit). The outputs (generated/, build/) are committed so that `cargo test` needs no
# Node; re-running gives byte-identical outputs. scripts/build-examples.sh calls this.
#
# The toolchain goes into this folder's own node_modules/, never the repository's. AssemblyScript
# 0.6 is not on the npm registry: it is packed from a git repository holding the commit, taken
# from $ASSEMBLYSCRIPT_GIT (a local clone or mirror) or cloned from GitHub. Without either, the
# build is skipped with a message and the committed outputs are left as they are (this is how
# scripts/check-examples-built.sh treats a machine without the toolchain).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
commit=36040d5b5312f19a025782b5e36663823494c2f3
tarball="$here/.toolchain/assemblyscript-0.6.0.tgz"
cd "$here"

if [[ ! -x node_modules/.bin/graph ]]; then
  if [[ ! -f "$tarball" ]]; then
    src="$(mktemp -d)"
    trap 'rm -rf "$src"' EXIT
    repo="${ASSEMBLYSCRIPT_GIT:-https://github.com/AssemblyScript/assemblyscript}"
    if [[ -d "$repo" ]]; then
      git -C "$repo" archive --format=tar --prefix=assemblyscript/ "$commit" | tar -x -C "$src" || repo=""
    elif git clone --quiet "$repo" "$src/clone" 2>/dev/null; then
      git -C "$src/clone" archive --format=tar --prefix=assemblyscript/ "$commit" | tar -x -C "$src" || repo=""
    else
      repo=""
    fi
    if [[ -z "$repo" || ! -f "$src/assemblyscript/package.json" ]]; then
      echo "legacy-erc20: toolchain unavailable (AssemblyScript commit $commit not found; set" \
        "ASSEMBLYSCRIPT_GIT to a clone of github.com/AssemblyScript/assemblyscript); committed" \
        "build left as is" >&2
      exit 0
    fi
    mkdir -p "$here/.toolchain"
    (cd "$src" && npm pack --ignore-scripts --silent ./assemblyscript >/dev/null)
    mv "$src/assemblyscript-0.6.0.tgz" "$tarball"
  fi
  # No install scripts: the old dependency tree builds native modules graph-cli needs only for
  # deploying, which this build never does.
  npm install --no-audit --no-fund --ignore-scripts --silent
fi

rm -rf generated build
node_modules/.bin/graph codegen >/dev/null
node_modules/.bin/graph build >/dev/null
