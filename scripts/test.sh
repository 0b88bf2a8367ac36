#!/usr/bin/env bash
# Run Aisle's test suite on SQLite and on real PostgreSQL and Redis servers started on loopback.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not slow"`). Test files are shared out among
# one pytest worker per core (AISLE_TEST_WORKERS=N sets how many, 0 runs in this one process); a file's
# tests stay on one worker, so its module fixtures are built once. Servers this script starts are
# stopped when it ends, also on a failure or Ctrl-C; servers named by AISLE_TEST_POSTGRES_URL and
# AISLE_TEST_REDIS_URL that already answer are used as they are and left running.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 SDL_VIDEODRIVER=offscreen HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

answers() {  # answers postgres|redis URL: the server at URL takes a connection within 3 seconds
  .venv/bin/python - "$@" <<'PY'
import sys

kind, url = sys.argv[1:]
try:
    if kind == "postgres":
        import psycopg
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        psycopg.connect(plain, connect_timeout=3).close()
    else:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
except Exception as exc:  # any failure means: start our own
    print(f"{kind} at {url} does not answer ({type(exc).__name__}); starting one", file=sys.stderr)
    sys.exit(1)
PY
}

needed=()
if [ -z "${AISLE_TEST_POSTGRES_URL:-}" ] || ! answers postgres "$AISLE_TEST_POSTGRES_URL"; then needed+=(postgres); fi
if [ -z "${AISLE_TEST_REDIS_URL:-}" ] || ! answers redis "$AISLE_TEST_REDIS_URL"; then needed+=(redis); fi

# .ci/services.sh writes each service it starts here, before starting it: an interrupted start is stopped too.
AISLE_SERVICES_STATE=$(mktemp)
export AISLE_SERVICES_STATE
stop_started() {
  local status=$?
  trap - EXIT INT TERM
  local started
  started=$(sort -u "$AISLE_SERVICES_STATE")
  # shellcheck disable=SC2086  # one service name a line
  [ -z "$started" ] || bash .ci/services.sh stop $started || true
  rm -f "$AISLE_SERVICES_STATE"
  exit "$status"
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ${#needed[@]} -gt 0 ]; then
  services=$(bash .ci/services.sh start "${needed[@]}")
  eval "$services"
fi

status=0
.venv/bin/python -m pytest -n "${AISLE_TEST_WORKERS:-auto}" --dist loadfile "$@" || status=$?
exit "$status"
