#!/usr/bin/env bash
# GitHub Deployment records: what each environment runs, kept by GitHub (no artifact expiry).
# A release record has task "deploy:release" and a payload
#   {"release": <git sha>, "auth_image": <repo@sha256:…>, "api_image": <repo@sha256:…>,
#    "edge_release": <git sha>, "run_url": <workflow run>}
# deploy-production promotes the payload of a successful staging record (same digests, no
# rebuild); rollback.yml reads earlier records to find the previous edge release.
#
#   deployment.sh create <env> <git-sha> <task> <payload-json-file>   prints the deployment id
#   deployment.sh status <id> <in_progress|success|failure|error> [environment-url]
#   deployment.sh find <env> [git-sha]       payload of the newest successful release record
#                                            (of that sha when given)
#   deployment.sh previous-edge <env>        edge_release of the newest successful release
#                                            record whose edge_release differs from the newest
#
# Needs gh (GH_TOKEN with deployments: write for create/status, read for find) and
# GITHUB_REPOSITORY; GITHUB_SERVER_URL/GITHUB_RUN_ID for the log link.
set -euo pipefail

repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
cmd="${1:?usage: deployment.sh create|status|find|previous-edge ...}"
shift

# newest-first successful release records of <env>, one payload JSON per line
successful_releases() {
  local env="$1" id state
  gh api -X GET "repos/$repo/deployments" -f environment="$env" -f task=deploy:release -F per_page=50 \
    --jq '.[] | .id' | while read -r id; do
    state="$(gh api -X GET "repos/$repo/deployments/$id/statuses" -F per_page=1 --jq '.[0].state // ""')"
    if [[ "$state" == success ]]; then
      gh api "repos/$repo/deployments/$id" --jq '.payload | tojson'
    fi
  done
}

case "$cmd" in
  create)
    env="${1:?env}" sha="${2:?git sha}" task="${3:?task}" payload="${4:?payload file}"
    [[ "$env" =~ ^(staging|production)$ ]] || { echo "unknown environment: $env" >&2; exit 2; }
    jq -n --arg ref "$sha" --arg env "$env" --arg task "$task" --slurpfile payload "$payload" '{
        ref: $ref, environment: $env, task: $task, payload: $payload[0],
        auto_merge: false, required_contexts: [],
        production_environment: ($env == "production"), transient_environment: false,
        description: ("TWIST " + $task + " " + ($ref | .[0:12]))
      }' | gh api -X POST "repos/$repo/deployments" --input - --jq '.id'
    ;;
  status)
    id="${1:?deployment id}" state="${2:?state}" url="${3:-}"
    log_url="${GITHUB_SERVER_URL:-https://github.com}/$repo/actions/runs/${GITHUB_RUN_ID:-0}"
    args=(-f state="$state" -f log_url="$log_url" -F auto_inactive=true)
    [[ -n "$url" ]] && args+=(-f environment_url="$url")
    gh api -X POST "repos/$repo/deployments/$id/statuses" "${args[@]}" --jq '.state'
    ;;
  find)
    env="${1:?env}" want="${2:-}"
    while read -r p; do
      if [[ -z "$want" || "$(jq -r '.release' <<<"$p")" == "$want"* ]]; then
        jq . <<<"$p"
        exit 0
      fi
    done < <(successful_releases "$env")
    echo "deployment: no successful $env release record${want:+ for $want}" >&2
    exit 1
    ;;
  previous-edge)
    env="${1:?env}" current=""
    while read -r p; do
      edge="$(jq -r '.edge_release // empty' <<<"$p")"
      [[ -n "$edge" ]] || continue
      if [[ -z "$current" ]]; then
        current="$edge"
      elif [[ "$edge" != "$current" ]]; then
        echo "$edge"
        exit 0
      fi
    done < <(successful_releases "$env")
    echo "deployment: no earlier $env edge release than ${current:-none}" >&2
    exit 1
    ;;
  *)
    echo "usage: deployment.sh create|status|find|previous-edge ..." >&2
    exit 2
    ;;
esac
