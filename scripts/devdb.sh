#!/usr/bin/env bash
# A local PostgreSQL for development, kept under ./.data/postgres.
#
#   scripts/devdb.sh start   initialise if needed, start, print DATABASE_URL
#   scripts/devdb.sh stop    stop it
#   scripts/devdb.sh url     print DATABASE_URL
#
# It listens on 127.0.0.1:${DEV_DB_PORT:-54329} with trust authentication:
# for a developer's machine only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.data/postgres"
port="${DEV_DB_PORT:-54329}"
db=hiremebahamas
url="postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"

bindir=$("$root/scripts/ensure-postgres.sh")

# initdb refuses to run as root, so as root the cluster belongs to postgres.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start() {
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		if ! runuser -u postgres -- test -w "$dir"; then
			echo "the postgres user cannot write $dir; make its parent directories traversable or set DATABASE_URL" >&2
			exit 1
		fi
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		echo "initialising a PostgreSQL cluster in $dir/data" >&2
		as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
	fi
	if ! as_owner "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port -c listen_addresses=127.0.0.1 -k /tmp" >/dev/null
	fi
	if ! "$bindir/psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
		"$bindir/psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -qc "CREATE DATABASE $db" >/dev/null
	fi
	echo "$url"
}

stop() {
	if [ -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) echo "$url" ;;
*) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
