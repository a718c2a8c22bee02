#!/usr/bin/env bash
# Installs the old graph-cli toolchains into 0.20/node_modules and 0.17/node_modules (never the
# repository's node_modules) and prints nothing on success. Used by examples/legacy-erc20/build.sh
# and crates/runtime/tests/conformance/build.sh.
#
# AssemblyScript 0.6 is not on the npm registry: both toolchains take it from
# assemblyscript-0.6.0.tgz here (see README.md). If that file is missing it is packed again from a
# git repository holding the commit: $ASSEMBLYSCRIPT_GIT (a local clone or mirror) or GitHub.
# Exits with status 2 and a message when no toolchain can be had, so callers can leave their
# committed builds as they are.
#
# Usage: install.sh 0.20|0.17 ...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
commit=36040d5b5312f19a025782b5e36663823494c2f3
tarball="$here/assemblyscript-0.6.0.tgz"

pack_assemblyscript() {
  local tmp repo="${ASSEMBLYSCRIPT_GIT:-https://github.com/AssemblyScript/assemblyscript}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  if [[ ! -d "$repo" ]]; then
    git clone --quiet "$repo" "$tmp/clone" 2>/dev/null || return 1
    repo="$tmp/clone"
  fi
  git -C "$repo" archive --format=tar --prefix=assemblyscript/ "$commit" 2>/dev/null |
    tar -x -C "$tmp" || return 1
  (cd "$tmp" && npm pack --ignore-scripts --silent ./assemblyscript >/dev/null)
  mv "$tmp/assemblyscript-0.6.0.tgz" "$tarball"
}

for version in "$@"; do
  dir="$here/$version"
  [[ -f "$dir/package.json" ]] || { echo "install.sh: no toolchain $version" >&2; exit 1; }
  [[ -x "$dir/node_modules/.bin/graph" ]] && continue
  if [[ ! -f "$tarball" ]] && ! pack_assemblyscript; then
    echo "legacy graph-cli $version: toolchain unavailable (AssemblyScript commit $commit not" \
      "found; set ASSEMBLYSCRIPT_GIT to a clone of github.com/AssemblyScript/assemblyscript)" >&2
    exit 2
  fi
  # No install scripts: the old dependency tree builds native modules graph-cli needs only for
  # deploying, which these builds never do.
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --silent)
done
