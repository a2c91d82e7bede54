#!/usr/bin/env bash
# make bench: seeds a fresh database with 100,000 jobs, starts the service,
# loads it over loopback with wrk (REST) and ghz (gRPC), and prints
# throughput, latency percentiles and the server's peak memory.
#
# Then a mixed workload at a fixed arrival rate (tools/mixload: 80% job
# reads, 15% lists and searches, 5% writes) writes a report with charts to
# BENCH_REPORT, and two instances on one database measure how stale one is
# after the other takes a write. BENCH_MODE=mix runs only that; BENCH_MODE=soak runs it for
# SOAK_DURATION, sampling memory and goroutines as it goes.
#
#   BENCH_JOBS (100000)  BENCH_DURATION (15s)  BENCH_CONNECTIONS (32)  BENCH_PORT (18080)
#   MIX_RATE (400/s)  MIX_DURATION (60s)  SOAK_DURATION (10m)  BENCH_REPORT (bench-report)
#   BENCH_WARMUP (3s, unmeasured, before each wrk run)
#
# Between the two, the cost of pgx's exec mode: GetJob and a search over
# REST, each request new to the service's cache, on a database reached
# directly with named cached statements and with cached descriptions, and
# with neither set (the default, which chooses) directly and through
# PgBouncer in transaction mode. BENCH_MODE=exec runs only that.
#   EXEC_DURATION (5s)  EXEC_WARMUP (1s)
#
# Last, one job-alert sweep of 10,000 saved searches (BenchmarkAlertDigest).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs="${BENCH_JOBS:-100000}"
duration="${BENCH_DURATION:-15s}"
conns="${BENCH_CONNECTIONS:-32}"
port="${BENCH_PORT:-18080}"
mode="${BENCH_MODE:-all}"
mix_rate="${MIX_RATE:-400}"
mix_duration="${MIX_DURATION:-60s}"
report="${BENCH_REPORT:-bench-report}"
metrics_port=$((port + 1))
work=$(mktemp -d)
cleanup() {
	kill "${server_pid:-}" 2>/dev/null || true
	wait "${server_pid:-}" 2>/dev/null || true
	if [ -f "$work/pgbouncer/pgbouncer.pid" ]; then kill "$(cat "$work/pgbouncer/pgbouncer.pid")" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null 2>&1; then
	echo "installing wrk" >&2
	sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq wrk >&2
fi
go build -o bin/hiremebahamas ./cmd/hiremebahamas
go -C tools/ghz build -o "$work/ghz" github.com/bojand/ghz/cmd/ghz
go -C tools/mixload build -o "$work/mixload" .

# A database of its own, recreated each run.
base_url="${DATABASE_URL:-$(scripts/devdb.sh start)}"
bindir=$(scripts/ensure-postgres.sh)
psql() { "$bindir/psql" -X -q "$@"; }
admin_url=$(echo "$base_url" | sed -E 's#/[^/?]+(\?|$)#/postgres\1#')
psql "$admin_url" -c "DROP DATABASE IF EXISTS hiremebahamas_bench WITH (FORCE)" -c "CREATE DATABASE hiremebahamas_bench"
export DATABASE_URL=$(echo "$base_url" | sed -E 's#/[^/?]+(\?|$)#/hiremebahamas_bench\1#')
bin/hiremebahamas migrate 2>/dev/null
bin/hiremebahamas seed --jobs "$jobs" --users $((jobs / 50 + 100)) --seed 42

# Inputs: random open jobs, and words people search for.
psql "$DATABASE_URL" -At -c "SELECT id FROM jobs WHERE status = 'OPEN' ORDER BY random() LIMIT 2000" > "$work/ids"
awk 'BEGIN { printf "[" } { printf "%s{\"id\":\"%s\"}", (NR > 1 ? "," : ""), $1 } END { print "]" }' "$work/ids" > "$work/ids.json"
cat > "$work/random.lua" <<'LUA'
local list = {}
request = function()
  return wrk.format("GET", list[math.random(#list)])
end
init = function(args)
  for line in io.lines(args[1]) do list[#list + 1] = line end
  math.randomseed(os.time())
end
LUA
sed 's#^#/api/v1/jobs/#' "$work/ids" > "$work/get-paths"
psql "$DATABASE_URL" -At -c "SELECT id FROM jobs j WHERE status = 'OPEN' AND expire_time > now() + interval '1 day'
	AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.job_id = j.id) ORDER BY random() LIMIT 20000" > "$work/apply-to"
psql "$DATABASE_URL" -At -c "SELECT email FROM users WHERE role = 'JOB_SEEKER' AND is_active ORDER BY random()" > "$work/seekers"
psql "$DATABASE_URL" -At -c "SELECT email FROM users WHERE role = 'EMPLOYER' AND is_active ORDER BY random()" > "$work/employers"
for w in bartender chef nurse teller developer captain dive "front desk" accountant electrician guide security cashier; do
	echo "/api/v1/jobs?q=$(echo "$w" | sed 's/ /+/g')"
done > "$work/search-paths"
# Searches that are all different, so that none is answered from the
# service's few-second cache: what a rare query costs.
awk -v n=20000 'BEGIN {
	srand(42)
	split("bartender chef nurse teller developer captain dive front accountant electrician guide security cashier", w, " ")
	split("NEW_PROVIDENCE GRAND_BAHAMA ABACO ELEUTHERA EXUMA ANDROS BIMINI LONG_ISLAND", is, " ")
	for (i = 0; i < n; i++)
		printf "/api/v1/jobs?q=%s&island=ISLAND_%s&page_size=%d\n", w[int(rand() * 13) + 1], is[int(rand() * 8) + 1], int(rand() * 100) + 1
}' > "$work/rare-search-paths"

# For the exec-mode runs: every open job once, and every search of the
# list above once, shuffled; the first part of each warms up.
psql "$DATABASE_URL" -At -c "SELECT '/api/v1/jobs/' || id FROM jobs WHERE status = 'OPEN' ORDER BY random()" > "$work/distinct-GetJob"
awk 'BEGIN {
	split("bartender chef nurse teller developer captain dive front accountant electrician guide security cashier", w, " ")
	split("NEW_PROVIDENCE GRAND_BAHAMA ABACO ELEUTHERA EXUMA ANDROS BIMINI LONG_ISLAND", is, " ")
	for (a = 1; a <= 13; a++) for (b = 1; b <= 8; b++) for (c = 1; c <= 100; c++)
		printf "/api/v1/jobs?q=%s&island=ISLAND_%s&page_size=%d\n", w[a], is[b], c
}' | shuf --random-source=<(yes) > "$work/distinct-search"
for list in distinct-GetJob distinct-search; do
	head -n 2000 "$work/$list" > "$work/$list.warm"
	tail -n +2001 "$work/$list" > "$work/$list.run"
done
# Each of wrk's threads walks its own half of the list, so that no request
# repeats and none is answered from the service's cache.
cat > "$work/walk.lua" <<'LUA'
local threads = 0
setup = function(thread)
  thread:set("part", threads)
  threads = threads + 1
end
local list, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do list[#list + 1] = line end
  i = part * math.floor(#list / 2)
end
request = function()
  i = i % #list + 1
  return wrk.format("GET", list[i])
end
LUA

# start_service DATABASE_URL: serve on $port and wait until ready. One
# client sends everything here: per-client rate limits would measure
# themselves.
start_service() {
	DATABASE_URL=$1 PORT=$port METRICS_ADDR=127.0.0.1:$metrics_port LOG_LEVEL=warn ENV=development RATE_LIMIT=0 AUTH_RATE_LIMIT=0 \
		bin/hiremebahamas serve 2> "$work/server.log" &
	server_pid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready/db" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$port/ready/db" >/dev/null || { cat "$work/server.log"; exit 1; }
}
stop_service() {
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# start_pgbouncer: PgBouncer in transaction mode in front of the bench
# database, as a hosted database's pooled URL puts it; prints its URL.
start_pgbouncer() {
	local dir="$work/pgbouncer" pg_port pg_host user
	pg_port=$(echo "$DATABASE_URL" | sed -E 's#^[^/]*//[^/]*:([0-9]+)/.*#\1#')
	pg_host=$(echo "$DATABASE_URL" | sed -E 's#^[^/]*//([^@/]*@)?([^:/]+).*#\2#')
	user=$(echo "$DATABASE_URL" | sed -E 's#^[^/]*//([^:@/]+).*@.*#\1#')
	mkdir -p "$dir"
	cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=$pg_host port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $((port + 2))
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 200
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
	echo "\"$user\" \"\"" > "$dir/userlist.txt"
	if [ "$(id -u)" -eq 0 ]; then
		# PgBouncer refuses to run as root; postgres must reach its files.
		chmod 711 "$work"
		chown -R postgres "$dir"
		runuser -u postgres -- /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini" >&2
	else
		/usr/sbin/pgbouncer -d "$dir/pgbouncer.ini" >&2
	fi
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null && break; sleep 0.1; done
	(exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null || { cat "$dir/pgbouncer.log" >&2; return 1; }
	echo "$DATABASE_URL" | sed -E "s#@[^/]+/#@127.0.0.1:$((port + 2))/#"
}

results="$work/results"
run_wrk() { # name, then wrk arguments
	local name=$1; shift
	local out
	# A few seconds first, unmeasured, as a service that has been up a
	# while has seen its popular requests before.
	if [ "${BENCH_WARMUP:-3s}" != 0s ]; then wrk -t2 -c"$conns" -d"${BENCH_WARMUP:-3s}" "$@" >/dev/null; fi
	out=$(wrk -t2 -c"$conns" -d"$duration" --latency "$@")
	awk -v name="$name" -v width="${name_width:-28}" '
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
		/Non-2xx/ { errs = $NF }
		/Socket errors/ { serr = $0 }
		END { printf "%-" width "s %10s %10s %10s %s\n", name, rps, p50, p99, (errs ? "non-2xx " errs : "") (serr ? " " serr : "") }' <<< "$out" >> "$results"
}
run_ghz() { # name, call, data file
	local out
	out=$("$work/ghz" --insecure --connections=2 --concurrency="$conns" --duration="$duration" --call "$2" \
		--data-file "$3" "127.0.0.1:$port" 2>&1)
	awk -v name="$1" '
		/Requests\/sec:/ { rps = $2 }
		/ 50 % in/ { p50 = $4 $5 } / 99 % in/ { p99 = $4 $5 }
		/\[OK\]/ { ok = $2 } /\[[A-Z][a-zA-Z]+\]/ && !/\[OK\]/ { bad = bad " " $0 }
		END { printf "%-28s %10s %10s %10s %s\n", name, rps, p50, p99, bad }' <<< "$out" >> "$results"
}

mixed() { # duration, sampling interval
	"$work/mixload" -base "http://127.0.0.1:$port" -metrics "http://127.0.0.1:$metrics_port/metrics" -pid "$server_pid" \
		-rate "$mix_rate" -duration "$1" -sample "$2" -out "$report" \
		-ids "$work/ids" -apply-to "$work/apply-to" -seekers "$work/seekers" -employers "$work/employers"
}
# exec_modes: GetJob and a search, each request reaching the database, for
# each way of running queries.
exec_modes() {
	local sep="?" pooled="" name url
	case "$DATABASE_URL" in *\?*) sep="&" ;; esac
	if [ -x /usr/sbin/pgbouncer ]; then pooled=$(start_pgbouncer); fi
	local saved_results=$results saved_duration=$duration
	results="$work/exec-results" duration=${EXEC_DURATION:-5s}
	printf "%-44s %10s %10s %10s\n" "exec mode ($conns connections)" "req/s" "p50" "p99" > "$results"
	# The default chooses for itself: named statements directly, unnamed
	# ones through PgBouncer.
	for variant in "direct, cache_statement|$DATABASE_URL${sep}default_query_exec_mode=cache_statement" \
		"direct, cache_describe|$DATABASE_URL${sep}default_query_exec_mode=cache_describe" \
		"direct, default|$DATABASE_URL" "PgBouncer, default|$pooled"; do
		name=${variant%%|*} url=${variant#*|}
		if [ -z "$url" ]; then echo "$name: no /usr/sbin/pgbouncer (apt-get install pgbouncer)" >> "$results"; continue; fi
		start_service "$url"
		for what in GetJob search; do
			wrk -t2 -c"$conns" -d"${EXEC_WARMUP:-1s}" -s "$work/walk.lua" "http://127.0.0.1:$port" -- "$work/distinct-$what.warm" >/dev/null
			BENCH_WARMUP=0s name_width=44 run_wrk "REST $what, $name" -s "$work/walk.lua" "http://127.0.0.1:$port" -- "$work/distinct-$what.run"
		done
		stop_service
	done
	echo
	echo "Exec modes: each request new to the service's cache, $duration per run"
	cat "$results"
	results=$saved_results duration=$saved_duration
}

case "$mode" in
exec) exec_modes; exit ;;
esac
start_service "$DATABASE_URL"
case "$mode" in
mix) mixed "$mix_duration" 5s; exit ;;
soak) mixed "${SOAK_DURATION:-10m}" 15s; exit ;;
esac

printf "%-28s %10s %10s %10s\n" "endpoint ($conns connections)" "req/s" "p50" "p99" > "$results"
run_wrk "REST GET /api/v1/jobs/{id}" -s "$work/random.lua" "http://127.0.0.1:$port" -- "$work/get-paths"
run_ghz "gRPC JobService/GetJob" hiremebahamas.v1.JobService/GetJob "$work/ids.json"
run_wrk "REST list, island=EXUMA" "http://127.0.0.1:$port/api/v1/jobs?island=ISLAND_EXUMA"
run_wrk "REST search ?q= (13 popular)" -s "$work/random.lua" "http://127.0.0.1:$port" -- "$work/search-paths"
run_wrk "REST search, all distinct" -s "$work/random.lua" "http://127.0.0.1:$port" -- "$work/rare-search-paths"
run_wrk "REST GET /health" "http://127.0.0.1:$port/health"
peak=$(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$server_pid/status")

echo
echo "HireMeBahamas API, $jobs jobs seeded, $(nproc) cores, load generator on the same machine, $duration per run"
cat "$results"
echo "server peak RSS: $peak"
echo "(ghz counts the calls still in flight when a run's time is up as Unavailable: at most one per connection slot.)"

stop_service
exec_modes

echo
start_service "$DATABASE_URL"
mixed "$mix_duration" 5s

# Two instances on one database (a throwaway cluster): how long one serves a
# job after the other acknowledged a write to it, listening and polling.
echo
echo "cross-instance staleness over 200 writes, from the write's acknowledgement to the other instance serving it"
go test -run '^$' -bench CrossReplicaStaleness -benchtime 200x ./server | awk '/^BenchmarkCrossReplicaStaleness/ {
	sub(/^BenchmarkCrossReplicaStaleness\//, ""); sub(/-[0-9]+$/, "", $1)
	for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
	printf "%-6s p50 %8s ms   max %8s ms\n", ($1 == "auto" ? "listen" : $1), m["p50-ms"], m["max-ms"] }'

# Job alerts (a throwaway cluster): one sweep of 10,000 instant saved
# searches after 1,000 jobs opened, and the queue working the mails it queued.
echo
go test -run '^$' -bench AlertDigest -benchtime 1x ./server | awk '/^BenchmarkAlertDigest/ {
	for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
	printf "job alerts: 10,000 saved searches x 1,000 new jobs swept in %s s, %s mails queued, worked at %s jobs/s\n", m["sweep-s"], m["mails"], m["mail-jobs/s"] }'
