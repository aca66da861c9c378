#!/usr/bin/env bash
# The peer beside us: the FastAPI full-stack template served on this box and
# measured in the same run as QuickFix (and its ceiling), on the same
# PostgreSQL, with the same shapes: /auth/me vs /users/me and the list of
# 20 at 16 connections, the list at 64, and creating one row (a job vs an
# item) at 16; then QuickFix's own offers and messages (the template has
# no counterpart) at 16. Results go to target/bench/peer/.
#
#   bins/loadgen/peer/run.sh PATH/TO/full-stack-fastapi-template
#
# The template is not vendored: clone it once
# (git clone https://github.com/fastapi/full-stack-fastapi-template). Its
# backend is copied to target/bench/peer/backend, its runtime dependencies
# installed from PyPI at its uv.lock versions into a venv there, its
# database created (QUICKFIX_PEER_DB, fastapi_peer) and migrated, and it is
# served by uvicorn with 4 workers on QUICKFIX_PEER_PORT (18090).
#
# It declares Python 3.14, which Debian lacks; on 3.12 or 3.13 (the newest
# found is used) three changes make it run, all in the copy:
#   - `except A, B:` (PEP 758, 3.14 only) is written `except (A, B):`;
#   - the forward reference `list[Item]` in models.py (3.14 defers
#     annotations, PEP 649) is quoted, `list["Item"]`;
#   - app/frontend/, which a frontend build would fill, gets a placeholder
#     index.html (the app refuses to start without the directory).
# Nothing else of its code or settings changes: 4 workers, its own
# SQLAlchemy pool, SENTRY_DSN and SMTP unset.
#
# Environment: QUICKFIX_PEER_ROUNDS (2), QUICKFIX_PEER_DURATION (15s),
# QUICKFIX_BENCH_PG_ADMIN_URL as for run.sh.
set -euo pipefail
TEMPLATE=${1:?usage: $0 PATH/TO/full-stack-fastapi-template}
TEMPLATE=$(cd "$TEMPLATE" && pwd)
cd "$(dirname "$0")/../../.."

OUT=$(pwd)/target/bench/peer
PEER_PORT=${QUICKFIX_PEER_PORT:-18090}
PEER_DB=${QUICKFIX_PEER_DB:-fastapi_peer}
ROUNDS=${QUICKFIX_PEER_ROUNDS:-2}
DURATION=${QUICKFIX_PEER_DURATION:-15s}
PG_ADMIN_URL=${QUICKFIX_BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PEER_USER=admin@example.com
PEER_PASSWORD=peer-benchmark-password
mkdir -p "$OUT"

[[ -f $TEMPLATE/uv.lock && -d $TEMPLATE/backend/app ]] || {
    echo "$TEMPLATE is not a checkout of the FastAPI full-stack template" >&2
    exit 2
}

PYTHON=
for candidate in python3.14 python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 python3.12 \
    /root/.pyenv/versions/3.12*/bin/python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
        PYTHON=$candidate
        break
    fi
done
[[ -n $PYTHON ]] || { echo "Python 3.12 or newer is needed" >&2; exit 1; }
echo "== peer: $("$PYTHON" --version), template $(git -C "$TEMPLATE" rev-parse --short HEAD 2>/dev/null || echo '(not a git checkout)')"

rm -rf "$OUT/backend"
cp -r "$TEMPLATE/backend" "$OUT/backend"
BACKEND=$(cd "$OUT/backend" && pwd)
if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 14)' 2>/dev/null; then
    for file in $(grep -rlE '^\s*except [A-Za-z_.]+(, [A-Za-z_.]+)+:' "$BACKEND/app" || true); do
        sed -i -E 's/^(\s*)except ([A-Za-z_.]+(, [A-Za-z_.]+)+):/\1except (\2):/' "$file"
    done
    sed -i -E 's/^(\s+)items: list\[Item\] = Relationship/\1items: list["Item"] = Relationship/' \
        "$BACKEND/app/models.py"
fi
mkdir -p "$BACKEND/app/frontend"
[[ -f $BACKEND/app/frontend/index.html ]] ||
    echo '<!doctype html><title>QuickFix peer benchmark</title>' >"$BACKEND/app/frontend/index.html"

if [[ ! -x $OUT/venv/bin/uvicorn ]]; then
    "$PYTHON" -m venv "$OUT/venv"
    "$PYTHON" bins/loadgen/peer/requirements_from_lock.py "$TEMPLATE/uv.lock" >"$OUT/requirements.txt"
    "$OUT/venv/bin/pip" install --quiet --disable-pip-version-check -r "$OUT/requirements.txt"
fi
"$OUT/venv/bin/python" -m compileall -q "$BACKEND/app" >/dev/null

PEER_PID=
stop_peer() {
    if [[ -n $PEER_PID ]] && kill -0 "$PEER_PID" 2>/dev/null; then
        kill -TERM "$PEER_PID"
        wait "$PEER_PID" || true
    fi
    PEER_PID=
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap stop_peer EXIT

psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" -c "CREATE DATABASE $PEER_DB" >/dev/null
export PYTHONPATH=$BACKEND \
    DATABASE_URL="${PG_ADMIN_URL%/*}/$PEER_DB?sslmode=disable" \
    SECRET_KEY=peer-benchmark-secret-0123456789abcdef PROJECT_NAME="QuickFix peer" \
    FIRST_SUPERUSER=$PEER_USER FIRST_SUPERUSER_PASSWORD=$PEER_PASSWORD \
    SENTRY_DSN= SMTP_HOST=
(cd "$BACKEND" && "$OUT/venv/bin/alembic" upgrade head >/dev/null && "$OUT/venv/bin/python" app/initial_data.py >/dev/null)
(cd "$BACKEND" && exec "$OUT/venv/bin/uvicorn" app.main:app --host 127.0.0.1 --port "$PEER_PORT" \
    --workers 4 --log-level warning) >"$OUT/uvicorn.log" 2>&1 &
PEER_PID=$!
for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$PEER_PORT/api/v1/utils/health-check/" >/dev/null 2>&1; then break; fi
    kill -0 "$PEER_PID" 2>/dev/null || { cat "$OUT/uvicorn.log" >&2; exit 1; }
    sleep 0.1
done
echo "== peer: uvicorn (4 workers) on 127.0.0.1:$PEER_PORT, pid $PEER_PID"

peer_args=(--peer "http://127.0.0.1:$PEER_PORT" --peer-user "$PEER_USER"
    --peer-password "$PEER_PASSWORD" --peer-pid "$PEER_PID" --duration "$DURATION" --jobs 1000 --markdown)
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round: 16 connections"
    QUICKFIX_BENCH_WORKLOAD=me,jobs-list,jobs-create,offers,messages bins/loadgen/run.sh postgres \
        --connections 16 "${peer_args[@]}" | tee "$OUT/round-$round-16.md"
    echo "== round $round: 64 connections"
    QUICKFIX_BENCH_WORKLOAD=jobs-list bins/loadgen/run.sh postgres \
        --connections 64 "${peer_args[@]}" | tee "$OUT/round-$round-64.md"
done
