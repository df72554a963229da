#!/usr/bin/env bash
# `bin/test images`: the images built and the compose stack run for real (issue 18).
#
#   1. a Docker engine: on GitHub Actions the runner's (official base images, pinned by digest);
#      elsewhere dockerd started here (scripts/images/dockerd.sh) with `docker compose` built
#      from the Go module proxy (docker-plugins.sh) and local equivalents of the base images
#      (base-images.sh); the engine is stopped again at the end, by its pid
#   2. bad input: the example's empty secrets and a missing one stop compose with a message
#      naming the variable, before any container exists
#   3. .env.backend made as README and docs/deploy-compose.md say, with the documented commands
#      (extracted from the documents by doc_commands.py), then README's exact
#      `docker compose ... up -d --build`: all five services healthy (migrate exited 0)
#   4. image sizes and the start-up time to /ready of both services
#   5. scripts/e2e-influencer-money.mjs against the stack (operator = a wallet in AUTH_ADMIN_WALLETS)
#   6. fault: PostgreSQL killed -> influencer-api /ready 503 within 5 s; PostgreSQL back -> /ready
#      200 again without a restart of the services
#   7. down + up keeps the data (named volumes: PostgreSQL rows and a Redis key)
#   8. a wrong database password: migrate fails with a clear log line, once (no restart loop),
#      and influencer-api stays down
#   9. down -v removes containers, network and volumes
#
# Uses host ports 3001 and 3003 (the README's), and free ports for PostgreSQL and Redis. A
# developer's .env.backend is moved aside for the run and put back afterwards.
#   TWIST_IMAGES_EXPORT=DIR   also export the images for the Kubernetes rehearsal (build.sh --export)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
here="$repo/scripts/images"
compose_args=(--env-file .env.backend -f docker-compose.backend.yml)
work="$(mktemp -d -t twist-images.XXXXXX)"
started_dockerd=0
t0=$(date +%s)
passed=0

say() { echo "images: $*"; }
pass() { passed=$((passed + 1)); echo "PASS $*"; }
die() { echo "FAIL $*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - t0 ))s; }

cleanup() {
  local rc=$?
  set +e
  if [[ -f "$repo/.env.backend" ]] && command -v docker >/dev/null; then
    if [[ $rc -ne 0 ]]; then
      docker compose "${compose_args[@]}" ps -a 2>/dev/null
      docker compose "${compose_args[@]}" logs --no-color --tail 40 2>/dev/null | tail -150
    fi
    docker compose "${compose_args[@]}" down -v --remove-orphans >/dev/null 2>&1
  fi
  rm -f "$repo/.env.backend"
  [[ -f "$work/env.backend.saved" ]] && mv "$work/env.backend.saved" "$repo/.env.backend"
  [[ $started_dockerd -eq 1 ]] && bash "$here/dockerd.sh" stop
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

# --- 1. engine, compose, base images ---------------------------------------------------------
if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
  say "GitHub Actions: the runner's Docker, official base images"
  # the base images by digest: the tags in the files resolved now, as the image build job does
  bash charts/scripts/pin-base-images.sh --write
else
  if ! bash "$here/dockerd.sh" status >/dev/null 2>&1; then started_dockerd=1; fi
  eval "$(bash "$here/dockerd.sh" start)"
  eval "$(bash "$here/docker-plugins.sh")"
  # the Debian client matches the Debian engine (API 1.41) and builds with BuildKit itself;
  # the newer CLI in /usr/local/bin would need a buildx plugin for that
  mkdir -p "$work/bin"
  ln -s /usr/bin/docker "$work/bin/docker"
  export PATH="$work/bin:$PATH" DOCKER_BUILDKIT=1
  eval "$(bash "$here/base-images.sh")"
fi
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
docker compose version
say "engine ready after $(elapsed)"

for port in 3001 3003; do
  if ss -ltnH "sport = :$port" | grep -q .; then die "port $port is in use (bin/run or bin/test e2e?)"; fi
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

[[ -f .env.backend ]] && mv .env.backend "$work/env.backend.saved"

# no container of the project may exist (a check that compose refused before starting any)
project_containers() { docker ps -aq --filter label=com.docker.compose.project=twist-backend; }
docker compose "${compose_args[@]/.env.backend/.env.backend.example}" down -v --remove-orphans >/dev/null 2>&1 || true

# --- 2. bad input: required variables -----------------------------------------------------------
if docker compose --env-file .env.backend.example -f docker-compose.backend.yml up -d >"$work/out" 2>&1; then
  die "compose started with the example's empty secrets"
fi
grep -q 'DB_PASSWORD is required' "$work/out" || { cat "$work/out"; die "no message naming DB_PASSWORD"; }
[[ -z "$(project_containers)" ]] || die "a container was created although a required variable was empty"
pass "empty required variables stop compose before any container: $(head -c 200 "$work/out" | tr '\n' ' ')"

# --- 3. .env.backend as the documents say ------------------------------------------------------
declare -A doc
while IFS=$'\t' read -r key cmd; do doc[$key]="$cmd"; done < <(python3 "$here/doc_commands.py" "$repo")
bash -c "${doc[readme_copy]}"
chmod 600 .env.backend
set_env() { # NAME VALUE: replace the NAME= line of .env.backend
  python3 - "$1" "$2" <<'PY'
import sys
name, value = sys.argv[1], sys.argv[2]
lines = open(".env.backend").read().splitlines()
hits = [i for i, l in enumerate(lines) if l.startswith(name + "=")]
if len(hits) != 1:
    sys.exit(f"{name}= appears {len(hits)} times in .env.backend")
lines[hits[0]] = f"{name}={value}"
open(".env.backend", "w").write("\n".join(lines) + "\n")
PY
}
for name in DB_PASSWORD REDIS_PASSWORD EDGE_SERVICE_KEY; do
  value="$(bash -c "${doc[secret:$name]}")"
  [[ -n "$value" ]] || die "the documented command for $name printed nothing"
  set_env "$name" "$value"
done
db_password="$(sed -n 's/^DB_PASSWORD=//p' .env.backend)"

# the auth image alone, as documented, then its generate-key command
build_auth="${doc[build_auth]}"
[[ -n "${BUILD_IMAGE:-}" ]] && build_auth+=" --build-arg BUILD_IMAGE=$BUILD_IMAGE --build-arg RUNTIME_IMAGE=$RUNTIME_IMAGE"
say "$build_auth"
b0=$(date +%s)
bash -c "$build_auth" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; die "documented auth image build"; }
say "auth image built in $(( $(date +%s) - b0 ))s"
keys="$(bash -c "${doc[secret:AUTH_JWT_KEYS]}")"
[[ "$keys" == '{"keys":['* ]] || die "generate-key printed no JWK Set"
set_env AUTH_JWT_KEYS "'$keys'"
pass "secrets generated by the documented commands, AUTH_JWT_KEYS by the image's generate-key"

# For the money demo: an operator wallet (admin), the dev outbox (development mode) and the key
# that seals merchant secrets; as docs/deploy-compose.md "The money demo" says.
node --input-type=module - "$work/admin.env" <<'JS'
import crypto from "node:crypto";
import { writeFileSync } from "node:fs";
import { base58, rawPublicKey } from "./scripts/lib/client.mjs";
const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
writeFileSync(process.argv[2], `ADMIN_WALLET=${base58(rawPublicKey(publicKey))}\nADMIN_PRIVATE_KEY_PKCS8=${pkcs8}\n`, { mode: 0o600 });
JS
set_env AUTH_ADMIN_WALLETS "$(sed -n 's/^ADMIN_WALLET=//p' "$work/admin.env")"
set_env TWIST_MODE development
set_env CONVERSIONS_SECRET_KEY "$(openssl rand -base64 32)"
set_env POSTGRES_HOST_PORT "$(free_port)"
set_env REDIS_HOST_PORT "$(free_port)"

# missing (not just empty) variable: the line removed
grep -v '^EDGE_SERVICE_KEY=' .env.backend >"$work/env.missing"
if docker compose --env-file "$work/env.missing" -f docker-compose.backend.yml up -d >"$work/out" 2>&1; then
  die "compose started without EDGE_SERVICE_KEY"
fi
grep -q 'EDGE_SERVICE_KEY is required' "$work/out" || { cat "$work/out"; die "no message naming EDGE_SERVICE_KEY"; }
[[ -z "$(project_containers)" ]] || die "a container was created although EDGE_SERVICE_KEY was missing"
pass "a missing EDGE_SERVICE_KEY stops compose before any container, naming it"

# --- the README command --------------------------------------------------------------------------
cid() { docker compose "${compose_args[@]}" ps -aq "$1"; }
state() { docker inspect -f '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$(cid "$1")" 2>/dev/null; }
wait_healthy() { # seconds
  local deadline=$(( $(date +%s) + $1 )) s
  while :; do
    local ok=1
    for s in postgres redis auth-service influencer-api; do [[ "$(state "$s")" == running/healthy ]] || ok=0; done
    [[ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(cid migrate)" 2>/dev/null)" == "exited 0" ]] || ok=0
    [[ $ok -eq 1 ]] && return 0
    [[ $(date +%s) -lt $deadline ]] || return 1
    sleep 1
  done
}
say "${doc[readme_up]}"
u0=$(date +%s)
REVISION="bin-test-images" bash -c "${doc[readme_up]}" >"$work/up.log" 2>&1 || { tail -60 "$work/up.log"; die "README's docker compose up"; }
wait_healthy 240 || die "not all five services healthy within 240 s"
up_s=$(( $(date +%s) - u0 ))
pass "README's 'docker compose ... up -d --build': postgres, redis, auth-service, influencer-api healthy, migrate exited 0 (${up_s}s)"
curl -fsS http://127.0.0.1:3001/ready >/dev/null && curl -fsS http://127.0.0.1:3003/ready >/dev/null \
  || die "/ready of the services from the host"

# --- 4. sizes and start-up time ---------------------------------------------------------------------
for image in twist/auth-service:local twist/influencer-api:local; do
  say "size $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
done
ready_after() { # service port: restart it, seconds from its container start to the first /ready 200
  docker compose "${compose_args[@]}" restart "$1" >/dev/null 2>&1
  python3 - "$(docker inspect -f '{{.State.StartedAt}}' "$(cid "$1")")" "$2" <<'PY'
import datetime, sys, time, urllib.request
started = datetime.datetime.fromisoformat(sys.argv[1][:26].rstrip("Z") + "+00:00")
for _ in range(600):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/ready", timeout=1).status == 200:
            now = datetime.datetime.now(datetime.timezone.utc)
            print(f"{(now - started).total_seconds():.1f}")
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.1)
sys.exit("never ready")
PY
}
say "start-up to /ready: auth-service $(ready_after auth-service 3001)s, influencer-api $(ready_after influencer-api 3003)s"
wait_healthy 120 || die "not healthy again after the restarts"

# --- 5. the money demo ------------------------------------------------------------------------------
node scripts/e2e-influencer-money.mjs --admin "$work/admin.env" >"$work/demo.log" 2>&1 \
  || { cat "$work/demo.log"; die "scripts/e2e-influencer-money.mjs against the compose stack"; }
tail -3 "$work/demo.log"
pass "money demo (scripts/e2e-influencer-money.mjs) against the compose stack"

# --- 6. PostgreSQL killed and back ------------------------------------------------------------------
api_started="$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "$(cid influencer-api)")"
auth_started="$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "$(cid auth-service)")"
docker compose "${compose_args[@]}" kill postgres >/dev/null 2>&1
k0=$(date +%s%N)
code=""
while [[ $(( ($(date +%s%N) - k0) / 1000000 )) -lt 5000 ]]; do
  code="$(curl -s -o /dev/null -m 1 -w '%{http_code}' http://127.0.0.1:3003/ready || true)"
  [[ "$code" == 503 ]] && break
  sleep 0.1
done
[[ "$code" == 503 ]] || die "influencer-api /ready answered '$code', not 503, within 5 s of PostgreSQL's kill"
pass "PostgreSQL killed: influencer-api /ready 503 after $(( ($(date +%s%N) - k0) / 1000000 )) ms"
docker compose "${compose_args[@]}" start postgres >/dev/null 2>&1
r0=$(date +%s)
until [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' http://127.0.0.1:3003/ready)" == 200 ]]; do
  [[ $(( $(date +%s) - r0 )) -lt 60 ]] || die "influencer-api /ready not 200 within 60 s of PostgreSQL's start"
  sleep 0.5
done
[[ "$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "$(cid influencer-api)")" == "$api_started" ]] \
  || die "influencer-api was restarted"
[[ "$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "$(cid auth-service)")" == "$auth_started" ]] \
  || die "auth-service was restarted"
pass "PostgreSQL back: /ready 200 after $(( $(date +%s) - r0 ))s, neither service restarted"

# --- 7. down + up keeps the data ------------------------------------------------------------------
counts() {
  docker compose "${compose_args[@]}" exec -T postgres psql -U twist -d twist -At \
    -c "select (select count(*) from influencers) || '/' || (select count(*) from ledger_entries)"
}
before="$(counts)"
[[ "$before" =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]] || die "no data in PostgreSQL after the demo ($before)"
docker compose "${compose_args[@]}" exec -T redis redis-cli set twist:bin-test-images kept >/dev/null
docker compose "${compose_args[@]}" down >/dev/null 2>&1
[[ -z "$(project_containers)" ]] || die "containers left after down"
docker compose "${compose_args[@]}" up -d >"$work/up2.log" 2>&1 || { cat "$work/up2.log"; die "up after down"; }
wait_healthy 180 || die "not healthy after down + up"
after="$(counts)"
kept="$(docker compose "${compose_args[@]}" exec -T redis redis-cli get twist:bin-test-images)"
[[ "$after" == "$before" && "$kept" == kept ]] || die "data lost over down + up: rows $before -> $after, redis '$kept'"
pass "down + up keeps the data (influencers/ledger entries $after, the Redis key)"

# --- 8. a wrong database password ------------------------------------------------------------------
docker compose "${compose_args[@]}" down >/dev/null 2>&1
set_env DB_PASSWORD "wrong-$(openssl rand -hex 8)"
if docker compose "${compose_args[@]}" up -d >"$work/up3.log" 2>&1; then
  die "compose up succeeded with a wrong database password"
fi
sleep 5 # a restart loop would show within this
migrate_state="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} restarts={{.RestartCount}}' "$(cid migrate)")"
[[ "$migrate_state" =~ ^exited\ [1-9][0-9]*\ restarts=0$ ]] || die "migrate: $migrate_state"
docker compose "${compose_args[@]}" logs --no-color migrate >"$work/migrate.log" 2>&1
grep -q 'password authentication failed for user "twist"' "$work/migrate.log" \
  || { tail -20 "$work/migrate.log"; die "migrate's log does not say the password was refused"; }
grep -F -q -- "$(sed -n 's/^DB_PASSWORD=//p' .env.backend)" "$work/migrate.log" && die "migrate's log shows the password"
api_id="$(cid influencer-api)"
if [[ -n "$api_id" ]] && [[ "$(docker inspect -f '{{.State.Status}}' "$api_id")" == running ]]; then
  die "influencer-api runs although migrate failed"
fi
pass "wrong DB password: migrate exits once ($migrate_state) logging '$(grep -o 'password authentication failed for user "twist"' "$work/migrate.log" | head -1)', influencer-api stays down"
set_env DB_PASSWORD "$db_password"

# --- 9. down -v ------------------------------------------------------------------------------------
docker compose "${compose_args[@]}" down -v --remove-orphans >/dev/null 2>&1
[[ -z "$(project_containers)" ]] || die "containers left after down -v"
[[ -z "$(docker volume ls -q --filter label=com.docker.compose.project=twist-backend)" ]] || die "volumes left after down -v"
[[ -z "$(docker network ls -q --filter label=com.docker.compose.project=twist-backend)" ]] || die "network left after down -v"
pass "down -v removes the containers, the network and both volumes"

if [[ -n "${TWIST_IMAGES_EXPORT:-}" ]]; then
  bash "$here/build.sh" --export "$TWIST_IMAGES_EXPORT"
fi
echo "images: $passed passed in $(elapsed)"
