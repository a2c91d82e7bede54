#!/usr/bin/env bash
# A local Mailpit for development: it takes every mail the service sends and
# shows it in a web UI. Kept under ./.data/mailpit.
#
#   scripts/devmail.sh start   start it if needed, print SMTP_URL
#   scripts/devmail.sh stop    stop it
#   scripts/devmail.sh url     print SMTP_URL
#   scripts/devmail.sh ui      print the web UI's address
#
# It listens on 127.0.0.1:${DEV_MAIL_SMTP_PORT:-1025} (SMTP) and
# 127.0.0.1:${DEV_MAIL_UI_PORT:-8025} (web UI). Mailpit is the Go tool
# pinned in go.mod: go tool builds it once into the Go cache.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.data/mailpit"
smtp_port="${DEV_MAIL_SMTP_PORT:-1025}"
ui_port="${DEV_MAIL_UI_PORT:-8025}"
pidfile="$dir/mailpit.pid"
url="smtp://127.0.0.1:$smtp_port"
ui="http://localhost:$ui_port"

running() {
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
	mkdir -p "$dir"
	if ! running; then
		bin=$(cd "$root" && go tool -n mailpit)
		"$bin" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$ui_port" \
			--database "$dir/mailpit.db" --log-file "$dir/mailpit.log" \
			--smtp-disable-rdns --disable-version-check </dev/null >/dev/null 2>&1 &
		echo $! >"$pidfile"
		for _ in $(seq 100); do
			if ! running; then
				echo "Mailpit did not start; see $dir/mailpit.log:" >&2
				tail -n 5 "$dir/mailpit.log" >&2 || true
				exit 1
			fi
			if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then
				break
			fi
			sleep 0.1
		done
	fi
	echo "$url"
}

stop() {
	if running; then
		pid=$(cat "$pidfile")
		kill "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$pidfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) echo "$url" ;;
ui) echo "$ui" ;;
*) echo "usage: $0 start|stop|url|ui" >&2; exit 2 ;;
esac
