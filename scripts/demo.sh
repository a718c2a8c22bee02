#!/usr/bin/env bash
# One command from a fresh checkout to a live subgraph: installs the Node tools (anvil), builds
# Sprig, starts a local anvil chain, deploys the erc20 example and emits a few thousand transfers,
# then indexes it into the embedded SQLite store and serves GraphQL (Ctrl-C to stop).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${ANVIL_PORT:-8545}"
LISTEN="${SPRIG_LISTEN:-127.0.0.1:8000}"
TRANSFERS="${TRANSFERS:-3000}"

if [ ! -x node_modules/.bin/anvil ]; then
  echo "==> installing Node tools (anvil, solc, graph-cli)"
  npm install --no-audit --no-fund
fi
echo "==> building sprig (release)"
cargo build --release --locked -p sprig-cli

echo "==> starting anvil on 127.0.0.1:$PORT"
node_modules/.bin/anvil --host 127.0.0.1 --port "$PORT" --silent --timestamp 1700000000 &
ANVIL=$!
trap 'kill $ANVIL 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -s -o /dev/null -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "http://127.0.0.1:$PORT" && break
  sleep 0.2
done

echo "==> deploying the example token and sending $TRANSFERS transfers"
node examples/erc20/scripts/emit.mjs "http://127.0.0.1:$PORT" "$TRANSFERS"

rm -f .sprig/erc20.sqlite .sprig/erc20.sqlite-wal .sprig/erc20.sqlite-shm
echo "==> indexing and serving (open the GraphQL URL below; Ctrl-C to stop)"
target/release/sprig dev examples/erc20/build/subgraph.yaml \
  --rpc "http://127.0.0.1:$PORT" --listen "$LISTEN"
