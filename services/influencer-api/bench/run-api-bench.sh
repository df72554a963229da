#!/usr/bin/env bash
# Load benchmark of influencer-api on loopback. BenchServer (test sources) runs the service on
# embedded PostgreSQL and Redis, seeds users, pools and 10,000 search pools, and writes request
# files; vegeta, a separate process, generates the load, so the generator's garbage and threads
# never share the server's JVM. Phases:
#   me      GET /me with a valid token (64..128 users), open model at RATE requests/s
#   stake   POST /staking/stake, 16 closed-loop clients (vegeta -rate=0 -max-workers=16)
#   search  GET /staking/search, five shapes over 10,064 pools, one closed-loop client each
#   redirect     GET /r/{code} over 64 links from 250 visitor addresses (X-Forwarded-For from the
#                loopback proxy), open model at RATE requests/s
#   conversions  POST /conversions, 16 merchants (own product key each) in closed loops, every
#                request signed and unique; nine in ten carry a real click id
# After the phases the server checks the ledger invariants (entries sum to zero, balances equal
# their entries, no negative balance, pool totals match positions) and that the conversions'
# commissions equal what left the merchant-commission account and what the shares add up to, and
# fails the run if they do not hold.
#
#   services/influencer-api/bench/run-api-bench.sh                   # all phases, 20 s each
#   PHASES="me" DURATION=30 RATE=1000 services/influencer-api/bench/run-api-bench.sh
#   SERVER_JVM="-XX:+UseParallelGC -Xmx512m" services/influencer-api/bench/run-api-bench.sh   # other JVM flags
#
# Results and conditions are recorded in docs/performance-api.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# shellcheck source=../../../bin/lib/jdk.sh
source bin/lib/jdk.sh
use_jdk21

PHASES=${PHASES:-conversions me redirect stake search}
DURATION=${DURATION:-20}
RATE=${RATE:-1000}
# What the JVM picks in the chart's container (1 CPU and 768 MiB limit, MaxRAMPercentage=75):
# the serial collector and a 576 MiB heap.
SERVER_JVM=${SERVER_JVM:--XX:+UseSerialGC -Xms576m -Xmx576m}
MVN_OFFLINE=${MVN_OFFLINE:--o}
# shellcheck source=bin/lib/tools.sh
source bin/lib/tools.sh # vegeta at VEGETA_VERSION (versions.env)
tools_install vegeta
vegeta=$TOOLS_BIN/vegeta

echo "building influencer-api test classes..." >&2
mvn -B -ntp -q $MVN_OFFLINE test-compile dependency:build-classpath -pl services/influencer-api -am \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
module=services/influencer-api
classpath="$module/target/test-classes:$module/target/classes:$(cat $module/target/bench.classpath)"

work=$(mktemp -d -t twist-api-bench.XXXXXX) # holds tokens: removed on exit
mkfifo "$work/stdin"
# shellcheck disable=SC2086
java $SERVER_JVM -cp "$classpath" finance.twist.api.BenchServer "$work" \
    <"$work/stdin" >"$work/access.log" 2>"$work/server.err" &
server=$!
exec 3>"$work/stdin" # the server stops when this descriptor closes
cleanup() {
    exec 3>&- 2>/dev/null || true
    kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 180); do
    grep -q "bench-server: ready" "$work/server.err" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 1
done
grep -q "bench-server: ready" "$work/server.err" || { echo "server not ready in 180 s" >&2; exit 1; }
java_pid=$server

# CPU ticks used so far by the server JVM, and by every postgres and redis-server process
cpu_ticks() {
    local java postgres=0 redis=0 pid comm
    java=$(awk '{print $14 + $15}' "/proc/$java_pid/stat")
    for pid in $(pgrep -x postgres) $(pgrep -f redis-server); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
        ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
        case $comm in
            postgres) postgres=$((postgres + ticks)) ;;
            *) redis=$((redis + ticks)) ;;
        esac
    done
    echo "$java $postgres $redis"
}

attack() { # label, vegeta attack arguments...
    local label=$1
    shift
    local before after
    before=$(cpu_ticks)
    "$vegeta" attack -format=json -timeout=10s "$@" >"$work/results.bin"
    after=$(cpu_ticks)
    echo "== $label  ($(date -u +%T) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$vegeta" report -type=text <"$work/results.bin" | grep -E 'Requests|Latencies|Success|Status Codes'
    local requests
    requests=$("$vegeta" report -type=json <"$work/results.bin" | sed -E 's/.*"requests":([0-9]+).*/\1/')
    awk -v b="$before" -v a="$after" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        if (n > 0) printf "server CPU per request: JVM %.3f ms, PostgreSQL %.3f ms, Redis %.3f ms\n",
            (y[1] - x[1]) / hz * 1000 / n, (y[2] - x[2]) / hz * 1000 / n, (y[3] - x[3]) / hz * 1000 / n }'
}

echo "$(date -u +%FT%TZ) $(nproc) cores, server JVM: $SERVER_JVM"
for phase in $PHASES; do
    case $phase in
        me)
            attack "warm-up GET /me" -targets="$work/me.targets" -rate=500/s -duration=5s >/dev/null
            attack "GET /me at $RATE/s" -targets="$work/me.targets" -rate="$RATE/s" -duration="${DURATION}s"
            ;;
        stake)
            attack "warm-up stake" -targets="$work/stake.targets" -rate=0 -max-workers=16 -workers=16 -duration=5s >/dev/null
            attack "POST /staking/stake, 16 clients" -targets="$work/stake.targets" -rate=0 -max-workers=16 \
                -workers=16 -duration="${DURATION}s"
            ;;
        search)
            for file in "$work"/search-*.targets; do
                attack "warm-up" -targets="$file" -rate=0 -max-workers=1 -workers=1 -duration=2s >/dev/null
                attack "$(sed -E 's/.*"url":"[^"]*(\/staking\/search[^"]*)".*/GET \1/' "$file") (10,064 pools, 1 client)" \
                    -targets="$file" -rate=0 -max-workers=1 -workers=1 -duration="$((DURATION / 2))s"
            done
            ;;
        redirect)
            attack "warm-up GET /r/{code}" -targets="$work/redirect.targets" -redirects=-1 -rate=500/s -duration=5s >/dev/null
            attack "GET /r/{code} at $RATE/s" -targets="$work/redirect.targets" -redirects=-1 -rate="$RATE/s" -duration="${DURATION}s"
            ;;
        conversions) # first: the requests were signed when the server started (±5 min window)
            attack "warm-up conversions" -targets="$work/conversions-warmup.targets" -rate=400/s -duration=10s >/dev/null
            attack "POST /conversions, 16 merchants" -targets="$work/conversions.targets" -rate=0 -max-workers=16 \
                -workers=16 -duration="${DURATION}s"
            ;;
        *) echo "unknown phase $phase" >&2; exit 2 ;;
    esac
done
echo "server RSS: $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$java_pid/status")"
exec 3>&-
wait "$server" || { cat "$work/server.err" >&2; exit 1; }
grep "bench-server:\|ledger totals" "$work/server.err" | tail -4
