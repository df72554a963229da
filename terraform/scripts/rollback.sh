#!/usr/bin/env bash
# Redeploy the worker code of an earlier commit, through Terraform (no wrangler):
#   terraform/scripts/rollback.sh <staging|production> <git-sha>
# Builds edge/ at <git-sha> in a temporary worktree and applies it with the *current*
# infrastructure configuration (queues, bucket, routes stay as they are now). Refuses when
# the old worker expects different bindings than the current configuration declares: then
# the safe rollback is `git revert` of the change and a normal deploy.
# The sha to roll back to is in the previous deploy's log line or the Cloudflare
# deployment annotation ("release=<sha> bundle_sha256=..."), e.g. `terraform output release`
# before deploying, or `wrangler deployments list` (read-only).
set -euo pipefail

env="${1:?usage: rollback.sh <staging|production> <git-sha>}"
sha="${2:?usage: rollback.sh <staging|production> <git-sha>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
sha="$(git -C "$repo" rev-parse --verify "$sha^{commit}")"

tree="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
git -C "$repo" worktree add --detach "$tree" "$sha" >/dev/null

now="$(python3 "$here/scripts/worker-contract.py" "$repo/edge")"
then="$(python3 "$here/scripts/worker-contract.py" "$tree/edge")"
if [[ "$now" != "$then" ]]; then
  diff <(echo "$then") <(echo "$now") >&2 || true
  echo "rollback: the worker at $sha expects other bindings than terraform/ declares now; revert and deploy instead" >&2
  exit 1
fi

(cd "$tree/edge" && npm ci --no-audit --no-fund && npm run build)
"$here/scripts/deploy.sh" "$env" "$tree/edge/dist/index.js" "$sha"
