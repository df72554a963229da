#!/usr/bin/env bash
# Applies a ruleset kept in the repository (.github/rulesets/*.json) through the GitHub API:
# updates the ruleset of the same name, or creates it. Needs gh logged in as a repository admin
# (`gh auth login`, or GH_TOKEN with "Administration: write" on the repository).
#
#   scripts/github/apply-ruleset.sh [--dry-run] [owner/repo] [ruleset.json]
#
# Defaults: the repository of the current checkout (gh repo view) and .github/rulesets/main.json.
# --dry-run prints what it would send and the current ruleset, changing nothing.
set -euo pipefail

dry_run=false
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=true
  shift
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
repo="${1:-$(gh repo view --json nameWithOwner --jq .nameWithOwner)}"
file="${2:-$root/.github/rulesets/main.json}"

[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "not owner/repo: $repo" >&2; exit 2; }
jq -e '.name and .target and .enforcement and (.rules | length > 0)' "$file" >/dev/null ||
  { echo "$file is not a ruleset (name, target, enforcement, rules)" >&2; exit 2; }
name="$(jq -r .name "$file")"

id="$(gh api "repos/$repo/rulesets?includes_parents=false" --paginate \
  --jq ".[] | select(.name == \"$name\" and .source_type == \"Repository\") | .id" | head -n1)"

if $dry_run; then
  if [[ -n "$id" ]]; then action="update ruleset $id"; else action="create a ruleset"; fi
  echo "would $action \"$name\" on $repo with:"
  jq . "$file"
  [[ -n "$id" ]] && { echo "current:"; gh api "repos/$repo/rulesets/$id" | jq '{name, enforcement, conditions, rules, bypass_actors}'; }
  exit 0
fi

if [[ -n "$id" ]]; then
  gh api -X PUT "repos/$repo/rulesets/$id" --input "$file" --jq '"updated ruleset \(.id) \(.name): \(.enforcement)"'
else
  gh api -X POST "repos/$repo/rulesets" --input "$file" --jq '"created ruleset \(.id) \(.name): \(.enforcement)"'
fi
