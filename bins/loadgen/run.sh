#!/usr/bin/env bash
# The QuickFix benchmark from a clean clone: build `quickfix` and `loadgen`
# in release, serve on SQLite and/or PostgreSQL with the benchmark settings,
# run every workload, stop the server. Results go to target/bench/.
#
#   bins/loadgen/run.sh [sqlite|postgres|both] [extra loadgen arguments]
#
# Environment: QUICKFIX_BENCH_PORT (18080), QUICKFIX_BENCH_PG_ADMIN_URL
# (postgres://postgres@127.0.0.1:5432/postgres, used to create and drop the
# database), QUICKFIX_BENCH_PG_DB (quickfix_bench), QUICKFIX_BENCH_WORKLOAD
# (all; or a comma list such as messages,idle-ws), QUICKFIX_BENCH_SERVER_BIN
# (target/release/quickfix; another build of the server to measure),
# QUICKFIX_BENCH_PG_SSLMODE (disable: the database is on this host, where TLS
# only costs CPU; `prefer` measures libpq's default), QUICKFIX_BENCH_CEILING
# (1: beside the server, `loadgen --serve-reference` on the same database
# and port+1, so `me`, `jobs-list` and `jobs-create` also report QuickFix's
# share of a bare actix-web handler doing only their SQL; 0 to skip).
set -euo pipefail
cd "$(dirname "$0")/../.."

BACKENDS=${1:-both}
shift || true
case $BACKENDS in
    sqlite) BACKENDS=(sqlite) ;;
    postgres) BACKENDS=(postgres) ;;
    both) BACKENDS=(sqlite postgres) ;;
    *) echo "usage: $0 [sqlite|postgres|both] [loadgen args]" >&2; exit 2 ;;
esac
PORT=${QUICKFIX_BENCH_PORT:-18080}
PG_ADMIN_URL=${QUICKFIX_BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=${QUICKFIX_BENCH_PG_DB:-quickfix_bench}
PG_SSLMODE=${QUICKFIX_BENCH_PG_SSLMODE:-disable}
PG_URL="${PG_ADMIN_URL%/*}/$PG_DB?sslmode=$PG_SSLMODE"
WORKLOAD=${QUICKFIX_BENCH_WORKLOAD:-all}
SERVER_BIN=${QUICKFIX_BENCH_SERVER_BIN:-target/release/quickfix}
OUT=target/bench
mkdir -p "$OUT"

cargo build --release -p quickfix-gateway -p quickfix-loadgen

# 5,000 idle sockets need as many descriptors on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

CEILING=${QUICKFIX_BENCH_CEILING:-1}
CEILING_PORT=$((PORT + 1))

SERVER_PID=
CEILING_PID=
stop_server() {
    for pid in "$SERVER_PID" "$CEILING_PID"; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" || true
        fi
    done
    SERVER_PID=
    CEILING_PID=
}

start_ceiling() { # DATABASE_URL LOGFILE
    target/release/loadgen --serve-reference "127.0.0.1:$CEILING_PORT" --database-url "$1" >"$2" 2>&1 &
    CEILING_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$CEILING_PORT/ready" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "the ceiling did not become ready; see $2" >&2
    exit 1
}
drop_pg() { psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null; }
cleanup() {
    stop_server
    if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then drop_pg 2>/dev/null || true; fi
}
trap cleanup EXIT

start_server() { # DATABASE_URL LOGFILE
    env QUICKFIX_DATABASE__URL="$1" DATABASE_URL="$1" \
        QUICKFIX_SERVER__HOST=127.0.0.1 QUICKFIX_SERVER__PORT="$PORT" \
        QUICKFIX_RATE_LIMIT__ENABLED=false QUICKFIX_AUTH__BCRYPT_COST=12 \
        QUICKFIX_APP__ENV=development QUICKFIX_STORAGE__PATH="$OUT/uploads" \
        "$SERVER_BIN" serve >"$2" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$2" >&2; exit 1; fi
        sleep 0.1
    done
    echo "the server did not become ready; see $2" >&2
    exit 1
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(free -h | awk '/Mem:/ {print $2}') RAM, $(rustc --version)"
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), server $SERVER_BIN," \
    "load: $(cut -d' ' -f1-3 /proc/loadavg)"

for backend in "${BACKENDS[@]}"; do
    case $backend in
        sqlite)
            rm -f "$OUT/bench.db" "$OUT/bench.db-wal" "$OUT/bench.db-shm"
            url="sqlite://$OUT/bench.db"
            extra=(--server-bin "$SERVER_BIN")
            ;;
        postgres)
            drop_pg
            psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
            url=$PG_URL
            extra=()
            ;;
    esac
    echo "== $backend: serving on 127.0.0.1:$PORT"
    start_server "$url" "$OUT/server-$backend.log"
    if [[ $CEILING == 1 ]]; then
        start_ceiling "$url" "$OUT/ceiling-$backend.log"
        extra+=(--reference "http://127.0.0.1:$CEILING_PORT" --reference-pid "$CEILING_PID")
    fi
    target/release/loadgen --target "http://127.0.0.1:$PORT" --server-pid "$SERVER_PID" \
        --database-url "$url" --workload "$WORKLOAD" "${extra[@]}" "$@" | tee "$OUT/results-$backend.txt"
    stop_server
    if [[ $backend == postgres ]]; then drop_pg; fi
done
