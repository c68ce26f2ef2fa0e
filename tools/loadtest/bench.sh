#!/usr/bin/env bash
# Live-engine benchmarks on loopback: starts release servers on a fresh database, runs
# `wallboard-load` against them, samples the servers' memory, and stops everything.
#
#   tools/loadtest/bench.sh SCENARIO [local|redis]
#
# SCENARIO: memory | latency | throughput | coalescing | scaleout | ingest | onecore
# SERVER_BIN picks another server binary (to compare two builds).
# `local` is the embedded default (SQLite, in-process bus); `redis` is PostgreSQL +
# Redis (127.0.0.1:5432 and :6379), as a cluster runs. Build first:
#   cargo build --release -p server -p loadtest
set -euo pipefail
cd "$(dirname "$0")/../.."
SCENARIO=${1:?scenario}
BACKEND=${2:-local}
BIN=${CARGO_TARGET_DIR:-target}/release
LOAD=$BIN/wallboard-load
SERVER=${SERVER_BIN:-$BIN/wallboard}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$PGDB" ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n 20000

PGDB=""
PIN=""
if [ "$BACKEND" = redis ]; then
  PGDB="wb_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PGDB" >/dev/null
  DB_URL="postgres://postgres@127.0.0.1:5432/$PGDB"
else
  DB_URL="sqlite://$WORK/wallboard.db"
fi

# start_server PORT: a release server; prints nothing, waits until ready.
start_server() {
  local port=$1
  local env=(WALLBOARD_ADDR=127.0.0.1:$port DATABASE_URL="$DB_URL" WALLBOARD_DEMO=false
    WALLBOARD_MAX_VIEWERS=19500 WALLBOARD_PUSH_RATE=1000000 RUST_LOG=warn
    WALLBOARD_MAX_STREAMS_PER_CLIENT=0
    WALLBOARD_STREAM_MAX_RATE=${STREAM_MAX_RATE:-20})
  [ "$BACKEND" = redis ] && env+=(REDIS_URL=redis://127.0.0.1:6379)
  # shellcheck disable=SC2086 # PIN is a command prefix ("taskset -c 0") or nothing
  $PIN env "${env[@]}" "$SERVER" >"$WORK/server-$port.log" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/pid-$port"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server on $port did not start"; cat "$WORK/server-$port.log"; exit 1
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$(cat "$WORK/pid-$1")/status" 2>/dev/null; }

setup() { "$LOAD" setup --server "http://127.0.0.1:$1" --mode "${2:-replace}"; }

echo "== $SCENARIO on $BACKEND ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GB; load tool on the same machine)"
case $SCENARIO in
  memory)
    start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901)
    before=$(rss_kb 3901)
    "$LOAD" viewers --server http://127.0.0.1:3901 --dataset "$DS" --auth "$AUTH" --count 19000 --seconds 25 &
    LP=$!
    sleep 20
    during=$(rss_kb 3901)
    wait $LP
    echo "server RSS: ${before} KB idle, ${during} KB with the viewers held: $(( (during - before) * 1024 / 19000 )) bytes per viewer"
    ;;
  latency)
    start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901)
    "$LOAD" run --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" --auth "$AUTH" \
      --count 10000 --rate 10 --seconds 30
    echo "server RSS after: $(rss_kb 3901) KB"
    ;;
  throughput)
    # One update per stream event: no coalescing cap.
    STREAM_MAX_RATE=0 start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901)
    for rate in ${RATES:-10 30 60 100}; do
      echo "-- 5000 viewers, $rate pushes/s (expected $((rate * 5000)) deliveries/s)"
      "$LOAD" run --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" --auth "$AUTH" \
        --count 5000 --rate "$rate" --seconds 15
    done
    ;;
  coalescing)
    start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901)
    ( for _ in $(seq 1 12); do echo "server RSS $(rss_kb 3901) KB"; sleep 1; done ) &
    "$LOAD" run --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" --auth "$AUTH" \
      --count 1000 --rate 10000 --concurrency 256 --seconds 10
    ;;
  scaleout)
    [ "$BACKEND" = redis ] || { echo "scale-out needs the redis backend"; exit 2; }
    ports=(3911 3912 3913 3914 3915 3916)
    for p in "${ports[@]}"; do start_server "$p"; done
    read -r DS TOKEN AUTH < <(setup 3911)
    per=${PER:-16667}
    outs=()
    for p in "${ports[@]}"; do
      "$LOAD" viewers --server "http://127.0.0.1:$p" --dataset "$DS" --auth "$AUTH" --count "$per" --ramp 2000 --seconds 45 --out "$WORK/v-$p.json" >/dev/null &
      outs+=("$WORK/v-$p.json")
    done
    sleep 40
    "$LOAD" push --server http://127.0.0.1:3911 --dataset "$DS" --token "$TOKEN" --rate 1 --seconds 5
    wait $(jobs -p | tail -6) 2>/dev/null || true
    "$LOAD" merge "${outs[@]}"
    for p in "${ports[@]}"; do echo "server $p RSS $(rss_kb "$p") KB"; done
    ;;
  ingest)
    start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901 append)
    "$LOAD" push --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" \
      --rate "${RATE:-200}" --batch "${BATCH:-1000}" --concurrency 16 --seconds 15
    ;;
  onecore)
    # The server on core 0 alone, the load tool on core 1; one update per event.
    PIN="taskset -c 0" STREAM_MAX_RATE=0 start_server 3901
    read -r DS TOKEN AUTH < <(setup 3901)
    echo "-- 1000 viewers, ${RATE:-200} pushes/s (expected $((${RATE:-200} * 1000)) deliveries/s)"
    taskset -c 1 "$LOAD" run --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" --auth "$AUTH" \
      --count 1000 --rate "${RATE:-200}" --seconds 15
    echo "-- 10000 viewers, 2 pushes/s"
    taskset -c 1 "$LOAD" run --server http://127.0.0.1:3901 --dataset "$DS" --token "$TOKEN" --auth "$AUTH" \
      --count 10000 --rate 2 --seconds 15
    ;;
  *) echo "unknown scenario $SCENARIO"; exit 2 ;;
esac
