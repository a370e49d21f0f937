#!/usr/bin/env bash
# A PostgreSQL server of the project's own for the tests (Debian's package; a private cluster on
# 127.0.0.1:${HOTLINE_PG_PORT:-55432}, so a system PostgreSQL is never touched).
#   scripts/postgres.sh start   install the package if needed, create the cluster once, start it,
#                               print the SQLAlchemy URL of database "hotline" (user hotline)
#   scripts/postgres.sh stop    stop it (the tests stop and start it to prove an outage changes nothing)
#   scripts/postgres.sh url     print the URL
set -euo pipefail
port=${HOTLINE_PG_PORT:-55432}
data=${HOTLINE_PG_DIR:-/var/tmp/hotline-pg}
url="postgresql+psycopg://hotline@127.0.0.1:${port}/hotline"

bin_dir() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

as_postgres() { runuser -u postgres -- "$@"; }

case "${1:-}" in
  start)
    if [ -z "$(bin_dir)" ]; then
      echo "postgres.sh: apt-get install postgresql" >&2
      apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 install --no-install-recommends \
        postgresql >/dev/null
    fi
    bin=$(bin_dir)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data" && chown postgres:postgres "$data" && chmod 700 "$data"
      # loopback only, and trust on loopback: a throwaway test server, never a production one
      as_postgres "$bin/initdb" -D "$data" -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    fi
    as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='hotline'" \
      | grep -q 1 || as_postgres psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE ROLE hotline LOGIN CREATEDB"
    # DROP DATABASE … WITH (FORCE) ends every session on the database, autovacuum's worker included, whose
    # role is none the tests own: without this grant a drop that meets one fails ("must be a member of the
    # role whose process is being terminated"). Granted on every start, so an older cluster gets it too.
    as_postgres psql -q -h 127.0.0.1 -p "$port" -U postgres -c "GRANT pg_signal_backend TO hotline" 2>/dev/null
    as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='hotline'" \
      | grep -q 1 || as_postgres psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE hotline OWNER hotline"
    echo "$url"
    ;;
  stop)
    bin=$(bin_dir)
    [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: scripts/postgres.sh start|stop|url" >&2
    exit 2
    ;;
esac
