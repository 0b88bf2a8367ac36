#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL and Redis on loopback for the tests, installing them if missing.
#   eval "$(bash .ci/services.sh)"             start both (unless already running), print the export lines
#   eval "$(bash .ci/services.sh start redis)"  start one
#   bash .ci/services.sh stop postgres redis    stop them
# With AISLE_SERVICES_STATE naming a file, a start appends to it each service it starts (not those it finds
# running), before starting it, so that the caller can stop only its own, even after an interruption
# (scripts/test.sh does). A start that fails stops what it started.
set -euo pipefail
RUN_DIR=${AISLE_SERVICES_DIR:-/tmp/aisle-ci-services}
PG_PORT=${AISLE_PG_PORT:-55432}
REDIS_PORT=${AISLE_REDIS_PORT:-56379}
PGDATA="$RUN_DIR/pg"

action=${1:-start}
[ $# -gt 0 ] && shift
services=("$@")
[ ${#services[@]} -gt 0 ] || services=(postgres redis)
for service in "${services[@]}"; do
  case "$service" in postgres | redis) ;; *) echo "services.sh: unknown service $service" >&2; exit 2 ;; esac
done
wants() { [[ " ${services[*]} " == *" $1 "* ]]; }

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"; }

stop_postgres() {
  local bin
  bin=$(pg_bin 2>/dev/null) || return 0
  if as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    rm -rf "$PGDATA"  # throwaway: the next start makes a new one
    echo "stopped PostgreSQL on port $PG_PORT" >&2
  fi
}

stop_redis() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || break; sleep 0.1; done
    echo "stopped Redis on port $REDIS_PORT" >&2
  fi
}

if [ "$action" = stop ]; then
  if wants postgres; then stop_postgres; fi
  if wants redis; then stop_redis; fi
  exit 0
fi
[ "$action" = start ] || { echo "services.sh: expected start or stop, got $action" >&2; exit 2; }

need=()
if wants postgres; then ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql); fi
if wants redis; then command -v redis-server >/dev/null 2>&1 || need+=(redis-server); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$RUN_DIR"
if [ "$(id -u)" = 0 ] && wants postgres; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$RUN_DIR" postgres
  chown postgres "$RUN_DIR"
fi

started=()
undo() { for service in "${started[@]}"; do "stop_$service" || true; done; }
trap undo EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
starting() {
  started+=("$1")
  [ -z "${AISLE_SERVICES_STATE:-}" ] || echo "$1" >>"$AISLE_SERVICES_STATE"
}

if wants postgres; then
  PG_BIN=$(pg_bin)
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    starting postgres
    rm -rf "$PGDATA"
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U aisle --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/pg.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $RUN_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U aisle aisle_test
  fi
fi

if wants redis && ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  starting redis
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --logfile "$RUN_DIR/redis.log" --dir "$RUN_DIR" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null
fi

trap - EXIT INT TERM
if wants postgres; then echo "export AISLE_TEST_POSTGRES_URL=postgresql+psycopg://aisle@127.0.0.1:$PG_PORT/aisle_test"; fi
if wants redis; then echo "export AISLE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"; fi
