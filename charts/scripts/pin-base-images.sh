#!/usr/bin/env bash
# Pins every third-party image to the digest its tag points to now, for CI (issue "CI/CD")
# and Dependabot-style refreshes. Nothing here invents a digest: each one is read from the
# registry with `docker buildx imagetools inspect` (or `crane digest` when CRANE=1).
#
#   charts/scripts/pin-base-images.sh --write        rewrite the base-image ARG defaults of
#                                                   services/Dockerfile and the image defaults of
#                                                   docker-compose.backend.yml to "tag@sha256:..."
#                                                   (the tag stays readable)
#   charts/scripts/pin-base-images.sh --print-sets   print the helm --set flags with the digests of
#                                                   the charts' third-party images (cloudflared,
#                                                   the JDK test image, postgres, redis, rclone)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

digest_of() { # image:tag -> sha256:... of the multi-arch index
  if [[ "${CRANE:-0}" == 1 ]]; then
    crane digest "$1"
  else
    docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])'
  fi
}

write() {
  local file ref digest
  # unpinned name:tag refs: the Dockerfile's base-image ARG defaults (ARG BUILD_IMAGE=x:tag) and
  # the compose file's image defaults (image: ${POSTGRES_IMAGE:-x:tag})
  for file in services/Dockerfile docker-compose.backend.yml; do
    grep -Eo '^(ARG [A-Z_]+_IMAGE=|    image: \$\{[A-Z_]+_IMAGE:-)[a-z0-9./-]+:[A-Za-z0-9._-]+(\}|$)' "$file" \
      | sed -E 's/^(ARG [A-Z_]+=|    image: \$\{[A-Z_]+:-)//; s/\}$//' | grep -v '^twist/' | sort -u | while read -r ref; do
        digest="$(digest_of "$ref")"
        [[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || { echo "no digest for $ref" >&2; exit 1; }
        echo "$file: $ref -> $ref@$digest"
        sed -i -E "s#^(ARG [A-Z_]+_IMAGE=|    image: \\$\\{[A-Z_]+_IMAGE:-)${ref//./\\.}(\\}|$)#\\1$ref@$digest\\2#" "$file"
      done
  done
}

print_sets() {
  local chart key repo_tag digest
  while read -r chart key; do
    repo_tag="$(python3 - "charts/$chart/values.yaml" "$key" <<'PY'
import sys, yaml
node = yaml.safe_load(open(sys.argv[1]))
for part in sys.argv[2].split("."):
    node = node[part]
print(f"{node['repository']}:{node['tag']}")
PY
)"
    digest="$(digest_of "$repo_tag")"
    [[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || { echo "no digest for $repo_tag" >&2; exit 1; }
    echo "$chart --set $key.digest=$digest"
  done <<'LIST'
twist tunnel.image
twist tests.jwtRoundTrip.image
twist-data postgresql.image
twist-data redis.image
twist-data backup.image
LIST
}

case "${1:-}" in
  --write) write ;;
  --print-sets) print_sets ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
