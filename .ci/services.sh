#!/usr/bin/env bash
# Start a throwaway PostgreSQL and Redis on loopback for the tests, installing them if missing.
# Prints the two export lines to eval:  eval "$(bash .ci/services.sh)"
set -euo pipefail
RUN_DIR=${AISLE_SERVICES_DIR:-/tmp/aisle-ci-services}
PG_PORT=${AISLE_PG_PORT:-55432}
REDIS_PORT=${AISLE_REDIS_PORT:-56379}

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")

mkdir -p "$RUN_DIR"
# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$RUN_DIR" postgres
  chown postgres "$RUN_DIR"
fi

PGDATA="$RUN_DIR/pg"
if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  rm -rf "$PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U aisle --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $RUN_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U aisle aisle_test
fi

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --logfile "$RUN_DIR/redis.log" --dir "$RUN_DIR" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "export AISLE_TEST_POSTGRES_URL=postgresql+psycopg://aisle@127.0.0.1:$PG_PORT/aisle_test"
echo "export AISLE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
