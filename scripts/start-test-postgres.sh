#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the test suite and print its admin URL.
# Needs Debian's postgresql package (apt-get install -y postgresql). EVALWHEEL_PG_DATADIR picks the
# data folder (default: a new temporary one). Usage:
#   export EVALWHEEL_TEST_POSTGRES_URL=$(scripts/start-test-postgres.sh [PORT])
set -euo pipefail
port="${1:-54329}"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL binaries not found: apt-get install -y postgresql" >&2; exit 1; }
datadir="${EVALWHEEL_PG_DATADIR:-$(mktemp -d /tmp/evalwheel-pg.XXXXXX)}"
mkdir -p "$datadir"
runas=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$datadir"
  runas=(runuser -u postgres --)
fi
"${runas[@]}" "$bindir/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 >"$datadir.initdb.log" 2>&1
"${runas[@]}" "$bindir/pg_ctl" -D "$datadir" -l "$datadir.log" -w \
  -o "-h 127.0.0.1 -p $port -k $datadir -c fsync=off -c max_connections=200" start >&2
echo "postgresql://postgres@127.0.0.1:$port/postgres"
