#!/usr/bin/env bash
# The closest thing to `docker build` + `docker run --read-only` without a Docker engine:
#   1. copies exactly the files .dockerignore admits (tracked pom.xml and services/, no target/)
#      and runs the Dockerfiles' build-stage Maven command there;
#   2. runs each service jar with the Dockerfile's own ENTRYPOINT flags inside bubblewrap:
#      read-only root filesystem, a tmpfs at /tmp as the only writable path, uid/gid 10001,
#      its own PID namespace; /health must answer 200, and /ready 503 (no PostgreSQL or Redis
#      is running, so readiness must say so instead of lying).
# Needs a JDK 21+ (bin/lib/jdk.sh), Maven and bwrap (Debian package bubblewrap); prints
# "SKIP ..." and exits 0 when one is missing. One PASS/FAIL line per check.
#   bash charts/tests/readonly_run.sh <repo root>
set -uo pipefail

repo="$1"
# shellcheck source=bin/lib/jdk.sh
if ! source "$repo/bin/lib/jdk.sh" || ! use_jdk21 2>/dev/null || ! command -v mvn >/dev/null; then
  echo "SKIP read-only run: no JDK 21+ or Maven"; exit 0
fi
# shellcheck source=bin/lib/tools.sh
source "$repo/bin/lib/tools.sh"
tools_apt bwrap=bubblewrap >/dev/null 2>&1 || { echo "SKIP read-only run: bubblewrap (bwrap) not installed"; exit 0; }

ctx="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$ctx"; }
trap cleanup EXIT
(cd "$repo" && git ls-files -z -- pom.xml services | grep -zv '/target/' | xargs -0 cp --parents -t "$ctx")

build() { # the Dockerfiles' build command, in the filtered context
  (cd "$ctx" && mvn -B -ntp -q -DskipTests package -pl services/auth-service,services/influencer-api -am) >"$ctx/mvn.log" 2>&1
}
if build; then
  echo "PASS Dockerfile build stage: mvn package on the .dockerignore context builds both jars"
else
  echo "FAIL Dockerfile build stage: mvn package on the .dockerignore context"; tail -30 "$ctx/mvn.log"; exit 1
fi

free_port() { python3 "$repo/bin/lib/free_port.py"; }

for svc in auth-service influencer-api; do
  out="$ctx/services/$svc/target"
  # the image's ENTRYPOINT, with the JDK here and the jar where bwrap mounts it
  # (/app/service.jar is the image's link to /app/<service>.jar)
  mapfile -t entry < <(python3 - "$repo/services/Dockerfile" "$svc" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
line = [l for l in text.splitlines() if l.startswith("ENTRYPOINT ")][-1]
for arg in json.loads(line[len("ENTRYPOINT "):]):
    print(arg.replace("/app/service.jar", f"/app/{sys.argv[2]}.jar").replace("/app/", "/mnt/"))
PY
)
  [[ "${entry[0]}" == java ]] && entry[0]="$JAVA_HOME/bin/java"
  port="$(free_port)"
  bwrap --ro-bind / / --tmpfs /tmp --ro-bind "$out" /mnt --chdir /mnt --dev /dev --proc /proc \
    --unshare-user --uid 10001 --gid 10001 --unshare-pid --die-with-parent \
    env SERVER_PORT="$port" MANAGEMENT_PORT="$(free_port)" TWIST_MODE=development LOGGING_LEVEL=INFO \
        REDIS_URL=redis://127.0.0.1:1/0 REDIS_PASSWORD=unused \
        DB_URL=jdbc:postgresql://127.0.0.1:1/twist DB_USERNAME=twist DB_PASSWORD=unused \
        AUTH_JWKS_URL=http://127.0.0.1:1/.well-known/jwks.json EDGE_SERVICE_KEY=unused \
        SERVER_DRAIN_DASH_DELAY=PT0S \
        "${entry[@]}" >"$ctx/$svc.log" 2>&1 &
  pids+=("$!")
  health=000
  for _ in $(seq 1 60); do
    health="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)"
    [[ "$health" == 200 ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.5
  done
  ready="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/ready" || true)"
  if [[ "$health" == 200 ]]; then
    echo "PASS $svc runs read-only (tmpfs /tmp only, uid 10001, image ENTRYPOINT flags): /health 200"
  else
    echo "FAIL $svc read-only run: /health $health"; tail -20 "$ctx/$svc.log"
  fi
  if [[ "$ready" == 503 ]]; then
    echo "PASS $svc read-only run: /ready 503 without its dependencies"
  else
    echo "FAIL $svc read-only run: /ready $ready without its dependencies"; tail -20 "$ctx/$svc.log"
  fi
  if grep -qi 'read-only file system' "$ctx/$svc.log"; then
    echo "FAIL $svc tried to write outside /tmp"; grep -i 'read-only file system' "$ctx/$svc.log" | head -3
  else
    echo "PASS $svc wrote nothing outside /tmp"
  fi
done
