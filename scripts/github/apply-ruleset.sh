#!/usr/bin/env bash
# Applies a ruleset kept in the repository (.github/rulesets/*.json) through the GitHub API:
# updates the ruleset of the same name, or creates it. Needs gh logged in as a repository admin
# (`gh auth login`, or GH_TOKEN with "Administration: write" on the repository).
#
#   scripts/github/apply-ruleset.sh [--solo] [--dry-run | --print] [owner/repo] [ruleset.json]
#
# Defaults: the repository of the current checkout (gh repo view) and .github/rulesets/main.json.
#
# Two modes, the same ruleset name, so switching is one more run of this script:
#   strict (default)  the file as it is: one approving review from a code owner (the @twist/*
#                     teams of .github/CODEOWNERS must exist), last pusher cannot approve.
#   --solo            for a repository with one maintainer, who can never approve their own PR:
#                     0 required approvals, no code-owner review, no last-push approval. Still
#                     PRs only, every required status check (up to date with main), resolved
#                     threads, squash only, linear history, no force push, no deletion, and no
#                     bypass actors: nobody merges red or unreviewed-by-CI code.
# --dry-run prints what it would send and the current ruleset, changing nothing.
# --print prints the ruleset it would send and exits (no gh, no network).
set -euo pipefail

dry_run=false solo=false print_only=false
args=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --solo) solo=true ;;
    --print) print_only=true ;;
    -*) echo "usage: apply-ruleset.sh [--solo] [--dry-run | --print] [owner/repo] [ruleset.json]" >&2; exit 2 ;;
    *) args+=("$arg") ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
file="${args[1]:-$root/.github/rulesets/main.json}"

jq -e '.name and .target and .enforcement and (.rules | length > 0)' "$file" >/dev/null ||
  { echo "$file is not a ruleset (name, target, enforcement, rules)" >&2; exit 2; }
ruleset="$(mktemp)"
trap 'rm -f "$ruleset"' EXIT
if $solo; then
  jq '.rules |= map(if .type == "pull_request" then .parameters += {
        required_approving_review_count: 0, require_code_owner_review: false, require_last_push_approval: false
      } else . end)' "$file" >"$ruleset"
  mode=solo
else
  cp "$file" "$ruleset"
  mode=strict
fi
if $print_only; then
  jq . "$ruleset"
  exit 0
fi

repo="${args[0]:-$(gh repo view --json nameWithOwner --jq .nameWithOwner)}"
[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "not owner/repo: $repo" >&2; exit 2; }
name="$(jq -r .name "$ruleset")"

id="$(gh api "repos/$repo/rulesets?includes_parents=false" --paginate \
  --jq ".[] | select(.name == \"$name\" and .source_type == \"Repository\") | .id" | head -n1)"

if $dry_run; then
  if [[ -n "$id" ]]; then action="update ruleset $id"; else action="create a ruleset"; fi
  echo "would $action \"$name\" ($mode mode) on $repo with:"
  jq . "$ruleset"
  [[ -n "$id" ]] && { echo "current:"; gh api "repos/$repo/rulesets/$id" | jq '{name, enforcement, conditions, rules, bypass_actors}'; }
  exit 0
fi

if [[ -n "$id" ]]; then
  gh api -X PUT "repos/$repo/rulesets/$id" --input "$ruleset" --jq "\"updated ruleset \(.id) \(.name) ($mode): \(.enforcement)\""
else
  gh api -X POST "repos/$repo/rulesets" --input "$ruleset" --jq "\"created ruleset \(.id) \(.name) ($mode): \(.enforcement)\""
fi
