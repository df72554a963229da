#!/usr/bin/env bash
# GitHub Deployment records: what each environment runs, kept by GitHub (no artifact expiry).
# A release record has task "deploy:release" and a payload
#   {"release": <git sha>, "auth_image": <repo@sha256:…>, "api_image": <repo@sha256:…>,
#    "edge_release": <git sha>, "edge_version_id": <Cloudflare worker version id>,
#    "edge_bundle_sha256": <hash>, "run_url": <workflow run>}
# A rollback record (task "rollback", rollback.yml) names what the environment runs afterwards:
#   {"component", "helm_revision", "release" (when known), "edge_version_id", "edge_release", ...}
# deploy-production promotes the payload of a successful staging record (same digests, no
# rebuild); rollback.yml reads earlier records to find the edge version to go back to.
#
#   deployment.sh create <env> <git-sha> <task> <payload-json-file>   prints the deployment id
#   deployment.sh status <id> <in_progress|success|failure|error> [environment-url]
#   deployment.sh find <env> [git-sha]     payload of the release <env> runs now (the newest
#                                          successful record; after a rollback, the release it
#                                          went back to), or of the successful release record of
#                                          that commit (full or leading sha)
#   deployment.sh previous-edge <env>      {"edge_version_id","edge_bundle_sha256","edge_release"}
#                                          of the successful release before the one whose edge
#                                          version runs now
#   deployment.sh edge-of <env> <sha|version-id>   the same JSON for a given release commit or
#                                          Cloudflare version id (from a successful release record)
#   deployment.sh release-of <env> <auth> <api>   commit of the newest successful release record
#                                          running these two images (full references or digests)
#
# "Successful" = the record has a `success` status among ALL its statuses, not only the newest:
# GitHub adds an `inactive` status to every earlier successful non-production deployment of the
# environment whenever a new status is created with auto_inactive (default true), so the newest
# status of every staging record but the last is `inactive`
# (https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status, auto_inactive).
#
# Needs gh (GH_TOKEN with deployments: write for create/status, read for the rest) and
# GITHUB_REPOSITORY; GITHUB_SERVER_URL/GITHUB_RUN_ID for the log link.
set -euo pipefail

repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
cmd="${1:?usage: deployment.sh create|status|find|previous-edge|edge-of|release-of ...}"
shift

check_env() { [[ "$1" =~ ^(staging|production)$ ]] || { echo "unknown environment: $1" >&2; exit 2; }; }

# records <env>: newest first, one JSON line {id, task, payload} per release or rollback record
# that ever reached `success`.
records() {
  local env="$1" line id ok
  gh api -X GET "repos/$repo/deployments" -f environment="$env" -F per_page=100 \
    --jq '.[] | select(.task == "deploy:release" or .task == "rollback") | {id, task, payload} | tojson' |
    while read -r line; do
      id="$(jq -r .id <<<"$line")"
      ok="$(gh api -X GET "repos/$repo/deployments/$id/statuses" -F per_page=100 --jq 'any(.[]; .state == "success")')"
      [[ "$ok" == true ]] && echo "$line"
    done
  return 0
}

# edge JSON of a payload
edge_of_payload() { jq -c '{edge_version_id, edge_bundle_sha256, edge_release}' <<<"$1"; }

case "$cmd" in
  create)
    env="${1:?env}" sha="${2:?git sha}" task="${3:?task}" payload="${4:?payload file}"
    check_env "$env"
    jq -n --arg ref "$sha" --arg env "$env" --arg task "$task" --slurpfile payload "$payload" '{
        ref: $ref, environment: $env, task: $task, payload: $payload[0],
        auto_merge: false, required_contexts: [],
        production_environment: ($env == "production"), transient_environment: false,
        description: ("TWIST " + $task + " " + ($ref | .[0:12]))
      }' | gh api -X POST "repos/$repo/deployments" --input - --jq '.id'
    ;;
  status)
    id="${1:?deployment id}" state="${2:?state}" url="${3:-}"
    [[ "$id" =~ ^[0-9]+$ ]] || { echo "not a deployment id: $id" >&2; exit 2; }
    log_url="${GITHUB_SERVER_URL:-https://github.com}/$repo/actions/runs/${GITHUB_RUN_ID:-0}"
    # auto_inactive: GitHub's Deployments view then shows only the newest one as active. The
    # readers below never rely on the newest status of an older record.
    args=(-f state="$state" -f log_url="$log_url" -F auto_inactive=true)
    [[ -n "$url" ]] && args+=(-f environment_url="$url")
    gh api -X POST "repos/$repo/deployments/$id/statuses" "${args[@]}" --jq '.state'
    ;;
  find)
    env="${1:?env}" want="${2:-}"
    check_env "$env"
    [[ -z "$want" || "$want" =~ ^[0-9a-f]{7,40}$ ]] || { echo "not a commit sha: $want" >&2; exit 2; }
    mapfile -t recs < <(records "$env")
    if [[ -z "$want" ]]; then
      # what runs now: the newest successful record; a rollback names the release it went back to
      for r in "${recs[@]}"; do
        task="$(jq -r .task <<<"$r")"
        if [[ "$task" == deploy:release ]]; then
          jq '.payload' <<<"$r"
          exit 0
        fi
        want="$(jq -r '.payload.release // empty' <<<"$r")"
        if [[ -z "$want" ]]; then
          echo "deployment: $env was last changed by rollback record $(jq -r .id <<<"$r"), which names no single release (edge and backend differ, or an old record); give the release to promote" >&2
          exit 1
        fi
        echo "deployment: $env was rolled back to release $want" >&2
        break
      done
    fi
    for r in "${recs[@]}"; do
      [[ "$(jq -r .task <<<"$r")" == deploy:release ]] || continue
      if [[ -n "$want" && "$(jq -r '.payload.release' <<<"$r")" == "$want"* ]]; then
        jq '.payload' <<<"$r"
        exit 0
      fi
    done
    echo "deployment: no successful $env release record${want:+ for $want}" >&2
    exit 1
    ;;
  previous-edge)
    env="${1:?env}"
    check_env "$env"
    mapfile -t recs < <(records "$env")
    current=""
    for r in "${recs[@]}"; do # the edge version that serves now: newest successful record naming one
      current="$(jq -r '.payload.edge_version_id // empty' <<<"$r")"
      [[ -n "$current" ]] && break
    done
    [[ -n "$current" ]] || { echo "deployment: no successful $env record names an edge version" >&2; exit 1; }
    seen=false
    for r in "${recs[@]}"; do
      [[ "$(jq -r .task <<<"$r")" == deploy:release ]] || continue
      vid="$(jq -r '.payload.edge_version_id // empty' <<<"$r")"
      [[ -n "$vid" ]] || continue
      if [[ "$vid" == "$current" ]]; then
        seen=true
      elif $seen; then
        edge_of_payload "$(jq -c .payload <<<"$r")"
        exit 0
      fi
    done
    if $seen; then
      echo "deployment: no successful $env release before the one whose edge version $current runs now" >&2
    else
      echo "deployment: edge version $current runs in $env but no successful release record has it" >&2
    fi
    exit 1
    ;;
  edge-of)
    env="${1:?env}" want="${2:?commit sha or Cloudflare version id}"
    check_env "$env"
    [[ "$want" =~ ^[0-9a-f]{7,40}$ || "$want" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
      { echo "not a commit sha or a version id: $want" >&2; exit 2; }
    while read -r r; do
      [[ "$(jq -r .task <<<"$r")" == deploy:release ]] || continue
      p="$(jq -c .payload <<<"$r")"
      [[ -n "$(jq -r '.edge_version_id // empty' <<<"$p")" ]] || continue
      if [[ "$(jq -r .edge_version_id <<<"$p")" == "$want" || "$(jq -r .release <<<"$p")" == "$want"* ]]; then
        edge_of_payload "$p"
        exit 0
      fi
    done < <(records "$env")
    echo "deployment: no successful $env release record with edge version or commit $want" >&2
    exit 1
    ;;
  release-of)
    env="${1:?env}" auth="${2:?auth image}" api="${3:?api image}"
    check_env "$env"
    for ref in "$auth" "$api"; do
      [[ "$ref" =~ sha256:[0-9a-f]{64}$ ]] || { echo "not an image digest: $ref" >&2; exit 2; }
    done
    while read -r r; do
      [[ "$(jq -r .task <<<"$r")" == deploy:release ]] || continue
      if jq -e --arg a "$auth" --arg b "$api" '(.payload.auth_image | endswith($a)) and (.payload.api_image | endswith($b))' <<<"$r" >/dev/null; then
        jq -r .payload.release <<<"$r"
        exit 0
      fi
    done < <(records "$env")
    echo "deployment: no successful $env release record runs $auth and $api" >&2
    exit 1
    ;;
  *)
    echo "usage: deployment.sh create|status|find|previous-edge|edge-of|release-of ..." >&2
    exit 2
    ;;
esac
