#!/usr/bin/env bash
# Rebuilds the example projects under examples/: compiles their contracts with solcjs and
# runs `graph codegen && graph build`. The outputs (contracts/out, generated, build) are
# committed so that `cargo test` needs no Node. Re-running gives byte-identical outputs.
#
# Usage: scripts/build-examples.sh [EXAMPLE_DIR...]   (default: every examples/*/ with a subgraph.yaml,
#                                                      every vendored examples/public/*/, and
#                                                      sprig-runtime's benchmark mapping)
# A vendored public subgraph (examples/public/<name>/) builds the way its upstream does, with its
# own build.sh, after its stand-in contracts are compiled here.
# Node tools come from node_modules/ at the repo root (installed here if missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/node_modules/.bin"

if [[ ! -x "$bin/graph" || ! -x "$bin/solcjs" || ! -x "$bin/anvil" ]]; then
  echo "build-examples: installing Node tools in $root/node_modules" >&2
  # `npm install`, not `npm ci`: the lock file was made against a registry that only serves
  # anvil's linux-amd64 binary package, and `npm ci` rejects the lock for lacking the other
  # platforms' optional packages. `npm install` still installs exactly the locked versions.
  (cd "$root" && npm install --no-audit --no-fund)
fi

bench_mapping=false
if [[ $# -gt 0 ]]; then
  examples=("$@")
else
  bench_mapping=true
  examples=()
  for d in "$root"/examples/*/; do [[ -f "$d/subgraph.yaml" ]] && examples+=("$d"); done
  for d in "$root"/examples/public/*/; do [[ -x "$d/build.sh" ]] && examples+=("$d"); done
fi

# Compiles every contracts/*.sol of an example into contracts/out/<Contract>.{bin,abi.json}.
compile_contracts() {
  local dir="$1" tmp
  tmp="$(mktemp -d)"
  rm -rf "$dir/contracts/out"
  mkdir -p "$dir/contracts/out"
  # Relative source names: solc embeds them in the metadata hash at the end of the bytecode.
  (cd "$dir/contracts" && "$bin/solcjs" --bin --abi --optimize -o "$tmp" ./*.sol)
  node - "$tmp" "$dir/contracts/out" <<'JS'
const fs = require("fs");
const path = require("path");
const [src, dst] = process.argv.slice(2);
for (const file of fs.readdirSync(src).sort()) {
  // solcjs names outputs <source>_sol_<Contract>.{bin,abi}
  const m = /^.+_sol_(.+)\.(bin|abi)$/.exec(file);
  if (!m) throw new Error(`unexpected solcjs output ${file}`);
  const text = fs.readFileSync(path.join(src, file), "utf8");
  if (m[2] === "bin") {
    fs.writeFileSync(path.join(dst, `${m[1]}.bin`), text.trim() + "\n");
  } else {
    fs.writeFileSync(path.join(dst, `${m[1]}.abi.json`), JSON.stringify(JSON.parse(text), null, 2) + "\n");
  }
}
JS
  rm -rf "$tmp"
}

for dir in "${examples[@]}"; do
  dir="$(cd "$dir" && pwd)"
  echo "build-examples: $dir" >&2
  # An example may use another's contracts (legacy-erc20 maps erc20's token).
  if compgen -G "$dir/contracts/*.sol" >/dev/null; then compile_contracts "$dir"; fi
  if [[ -x "$dir/build.sh" ]]; then
    "$dir/build.sh"
  else
    rm -rf "$dir/generated" "$dir/build"
    (cd "$dir" && "$bin/graph" codegen && "$bin/graph" build)
  fi
done

if $bench_mapping; then
  # Generated from a script rather than an example folder; it has its own build script.
  echo "build-examples: $root/crates/runtime/benches/large" >&2
  "$root/crates/runtime/benches/large/build.sh"
fi
