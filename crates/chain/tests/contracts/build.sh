#!/bin/sh
# Recompiles the test contracts with solc 0.8.28 (`npm install` at the repository root installs
# it). The tests read the committed Emitter.bin, so `cargo test` needs no Node.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
solcjs=${SOLCJS:-$root/node_modules/.bin/solcjs}
[ -x "$solcjs" ] || solcjs=/work/tools/node_modules/.bin/solcjs
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$here"
"$solcjs" --bin --abi --optimize -o "$out" Emitter.sol
cp "$out/Emitter_sol_Emitter.bin" Emitter.bin
cp "$out/Emitter_sol_Emitter.abi" Emitter.abi
