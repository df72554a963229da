#!/usr/bin/env bash
# Rolls the app release (twist) back to the last GOOD revision and runs helm test: the logic of
# rollback.yml, as a script so the rehearsal (scripts/rehearsal/run.sh) runs exactly it.
#
#   scripts/github/helm-rollback.sh <namespace> [revision]
#
# Without a revision, the target is the newest earlier revision that was once deployed
# successfully (status "superseded") and runs other images than the current one. Plain
# `helm rollback twist` goes to current-1, which after a failed upgrade that --atomic undid is the
# FAILED revision (history: ... N-2 good, N-1 failed, N rollback of N-2), and after an --atomic
# rollback the revision before is the same build as the current one.
# With a revision, that revision must have been deployed successfully (superseded or deployed).
set -euo pipefail

ns="${1:?usage: helm-rollback.sh <namespace> [revision]}"
want="${2:-}"
timeout="${HELM_TIMEOUT:-10m}"

history="$(helm history twist -n "$ns" --max 50 -o json)"
helm history twist -n "$ns" --max 10

# images of a revision: the digests in its rendered manifest
images_of() { helm get manifest twist -n "$ns" --revision "$1" | grep -Eo 'image: "?[^" ]+' | sort -u; }

current="$(jq -r '[.[] | select(.status == "deployed")] | max_by(.revision) | .revision' <<<"$history")"
[[ "$current" =~ ^[0-9]+$ ]] || { echo "helm-rollback: no deployed revision of twist in $ns" >&2; exit 1; }

if [[ -n "$want" ]]; then
  [[ "$want" =~ ^[0-9]+$ ]] || { echo "helm-rollback: revision must be a number" >&2; exit 2; }
  status="$(jq -r --argjson r "$want" '.[] | select(.revision == $r) | .status' <<<"$history")"
  [[ "$status" == superseded || "$status" == deployed ]] || {
    echo "helm-rollback: revision $want is '${status:-missing}', not a good revision (superseded)" >&2
    exit 1
  }
  target="$want"
else
  now="$(images_of "$current")"
  target=""
  for rev in $(jq -r --argjson c "$current" '[.[] | select(.status == "superseded" and .revision < $c)] | sort_by(-.revision) | .[].revision' <<<"$history"); do
    if [[ "$(images_of "$rev")" != "$now" ]]; then target="$rev"; break; fi
  done
  [[ -n "$target" ]] || { echo "helm-rollback: no earlier good revision with other images than revision $current" >&2; exit 1; }
fi

echo "helm-rollback: twist in $ns: revision $current -> $target"
helm rollback twist "$target" -n "$ns" --wait --timeout "$timeout"
helm test twist -n "$ns" --timeout 5m --logs
helm history twist -n "$ns" --max 3
