#!/usr/bin/env bash
# End-to-end benchmark: a release `sprig index` of the erc20 example over a local anvil chain,
# into SQLite and (when the PostgreSQL server binaries are installed) into a throwaway
# PostgreSQL server, RUNS times each from an empty database. Prints wall time, blocks/s and
# handler calls/s per run, then the median per backend.
#
#   scripts/bench.sh                 # 5000 transfers, 3 runs per backend
#   TRANSFERS=20000 RUNS=5 scripts/bench.sh
#
# The wasm cache is kept between runs (a restart never recompiles), so the figures are indexing,
# not compilation. Quote ratios and medians: the development machines are shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
TRANSFERS="${TRANSFERS:-5000}"
RUNS="${RUNS:-3}"
work="$(mktemp -d)"
chmod 755 "$work" # the PostgreSQL server runs as another user
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${pg_ctl:-}" ]; then as_postgres "$pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# The PostgreSQL server refuses to run as root.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -x node_modules/.bin/anvil ]; then npm install --no-audit --no-fund; fi
cargo build --release --locked -p sprig-cli >&2
sprig="$PWD/target/release/sprig"

port="$(free_port)"
node_modules/.bin/anvil --host 127.0.0.1 --port "$port" --silent --timestamp 1700000000 &
pids+=($!)
rpc="http://127.0.0.1:$port"
for _ in $(seq 50); do
  curl -s -o /dev/null -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$rpc" && break
  sleep 0.2
done
echo "emitting $TRANSFERS transfers..." >&2
summary="$(node examples/erc20/scripts/emit.mjs "$rpc" "$TRANSFERS")"
last="$(node -e 'console.log(JSON.parse(process.argv[1]).lastBlock)' "$summary")"
handlers="$(node -e 'const s = JSON.parse(process.argv[1]); console.log(s.transferLogs + s.memoLogs)' "$summary")"

backends=(sqlite)
pg_bin="${SPRIG_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  pg_ctl="$pg_bin/pg_ctl"
  pg_port="$(free_port)"
  install -d -o "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" "$work/pg" "$work/pgsock"
  as_postgres "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust >/dev/null
  as_postgres "$pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
    -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  backends+=(postgres)
fi

printf '%-9s %4s %8s %9s %10s %12s\n' backend run blocks seconds blocks/s handlers/s
for backend in "${backends[@]}"; do
  times=()
  for run in $(seq "$RUNS"); do
    case "$backend" in
      sqlite) db="$work/run-$run.sqlite" ;;
      postgres)
        "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE bench_$run" postgres
        db="postgres://postgres@127.0.0.1:$pg_port/bench_$run" ;;
    esac
    start="$(date +%s.%N)"
    "$sprig" index examples/erc20/build/subgraph.yaml --name erc20 --rpc "$rpc" --until "$last" \
      --db "$db" --wasm-cache-dir "$work/wasm-cache" 2>/dev/null
    secs="$(echo "$(date +%s.%N) - $start" | bc -l)"
    times+=("$secs")
    printf '%-9s %4d %8d %9.2f %10.0f %12.0f\n' "$backend" "$run" "$last" "$secs" \
      "$(echo "$last / $secs" | bc -l)" "$(echo "$handlers / $secs" | bc -l)"
  done
  median="$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf '%-9s %4s %8d %9.2f %10.0f %12.0f\n' "$backend" med "$last" "$median" \
    "$(echo "$last / $median" | bc -l)" "$(echo "$handlers / $median" | bc -l)"
done
