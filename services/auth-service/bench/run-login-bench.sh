#!/usr/bin/env bash
# Load benchmark of complete logins (nonce -> client-side Ed25519 signature -> verify) on loopback.
# Builds auth-service (tests skipped), starts an embedded Redis and `java -jar auth-service.jar`
# with the JVM flags below and raised rate limits, runs 16 clients for a warm-up and a measured
# period, and prints logins/s, latency percentiles, errors, server RSS and CPU.
#
#   services/auth-service/bench/run-login-bench.sh                    # defaults: 16 clients, 10 s + 30 s
#   CLIENTS=8 DURATION=60 services/auth-service/bench/run-login-bench.sh
#   SERVER_JVM="-XX:+UseParallelGC -Xmx256m" services/auth-service/bench/run-login-bench.sh
#   TARGET=http://127.0.0.1:3001 PID=1234 services/auth-service/bench/run-login-bench.sh   # a running service
#     (a running service must have AUTH_RATE_LIMIT_IP_PER_MINUTE / _WALLET_PER_MINUTE raised)
#
# Results and conditions are recorded in docs/performance-auth.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# shellcheck source=../../../bin/lib/jdk.sh
source bin/lib/jdk.sh
use_jdk21

CLIENTS=${CLIENTS:-16}
WARMUP=${WARMUP:-10}
DURATION=${DURATION:-30}
SERVER_JVM=${SERVER_JVM:--XX:+UseSerialGC -Xms128m -Xmx128m -XX:ReservedCodeCacheSize=64m -Xss512k}
CLIENT_JVM=${CLIENT_JVM:--XX:+UseSerialGC -Xmx256m}
MVN_OFFLINE=${MVN_OFFLINE:--o}

echo "building auth-service (tests skipped)..." >&2
mvn -B -ntp -q $MVN_OFFLINE package dependency:build-classpath -DskipTests \
    -pl services/auth-service -am \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
classpath="services/auth-service/target/test-classes:services/auth-service/target/classes:$(cat services/auth-service/target/bench.classpath)"

args=(--clients "$CLIENTS" --warmup "$WARMUP" --duration "$DURATION")
if [ -n "${TARGET:-}" ]; then
    args+=(--target "$TARGET" --pid "${PID:--1}")
else
    args+=(--jar services/auth-service/target/auth-service.jar --server-jvm "$SERVER_JVM"
        --server-log services/auth-service/target/bench-server.log)
fi
echo "$(date -u +%FT%TZ) $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
exec java $CLIENT_JVM -cp "$classpath" finance.twist.auth.bench.LoginBenchmark "${args[@]}"
