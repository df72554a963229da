#!/usr/bin/env bash
# Writes .env.backend for the CI compose job: .env.backend.example with every empty secret
# filled by a value generated for this run (nothing from GitHub secrets; the stack is thrown
# away after the job). AUTH_JWT_KEYS comes from the auth-service image's own generate-key.
#
#   scripts/github/compose-env.sh [example] [output]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
example="${1:-$root/.env.backend.example}"
out="${2:-$root/.env.backend}"
[[ -f "$example" ]] || { echo "no $example" >&2; exit 1; }

rand() { openssl rand -hex 24; }

jwk=""
if grep -q '^AUTH_JWT_KEYS=$' "$example"; then
  docker build -q -f "$root/services/auth-service/Dockerfile" -t twist-auth-service:ci-keygen "$root" >/dev/null
  jwk="$(docker run --rm twist-auth-service:ci-keygen generate-key k1)"
  [[ -n "$jwk" && "$jwk" != *"'"* ]] || { echo "generate-key printed nothing usable" >&2; exit 1; }
fi

umask 077
: >"$out"
while IFS= read -r line || [[ -n "$line" ]]; do
  case "$line" in
    AUTH_JWT_KEYS=) printf "AUTH_JWT_KEYS='%s'\n" "$jwk" >>"$out" ;;
    DB_PASSWORD= | REDIS_PASSWORD= | EDGE_SERVICE_KEY=) printf '%s%s\n' "$line" "$(rand)" >>"$out" ;;
    *) printf '%s\n' "$line" >>"$out" ;;
  esac
done <"$example"
echo "compose-env: wrote $out ($(grep -c '=' "$out") variables; secrets generated for this run)"
