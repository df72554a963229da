#!/usr/bin/env bash
# Rolls the app release `twist` of one namespace back to its last GOOD revision, then runs
# `helm test twist`. The data release `twist-data` is never touched.
#
#   scripts/github/helm-rollback.sh <namespace> [revision] [--dry-run]
#
#   <namespace>   twist-staging, twist-production or twist-ci
#   [revision]    go back to exactly this revision (refused when it is one that failed or was
#                 rolled back from); empty = the last good revision before what runs now
#   --dry-run     print the history and the chosen revision, change nothing (proves the
#                 tunnel, kubeconfig and RBAC work; rollback.yml's dry_run input)
#
# Why not `helm rollback twist` without a revision: Helm then takes current - 1
# (https://helm.sh/docs/helm/helm_rollback/: "If this argument is omitted or set to 0, it will
# roll back to the previous release"). After an --atomic upgrade failed, current - 1 is the
# failed revision itself: history reads `N superseded`, `N+1 failed "Upgrade ... failed"`,
# `N+2 deployed "Rollback to N"` (helm's pkg/action upgrade.go failRelease and rollback.go).
#
# A revision is GOOD when its status is `deployed` or `superseded` (it went live; `failed`,
# `pending-*`, `uninstalled*` and `unknown` never did or are mid-way) and it was not rolled back
# FROM: a revision directly followed by a "Rollback to M" revision was the live one when someone
# (--atomic, helm-deploy.sh after a failed helm test or smoke check, or an operator) decided to
# leave it. A "Rollback to M" revision runs M's chart and values, so it counts as M: the target
# must run something other than what runs now, and never the content of a rolled-back-from
# revision. The newest such revision below the current one is the target.
#
# Reads `helm history twist -n <ns> -o json` (https://helm.sh/docs/helm/helm_history/: a JSON
# list, oldest first, of {revision, updated, status, chart, app_version, description}).
# Prints `helm-rollback: <ns> <current> -> <target>`. Exit 0 = rolled back and helm test passed;
# 1 = no good revision, or the rollback or its helm test failed; 2 = bad arguments.
set -euo pipefail

usage="usage: helm-rollback.sh <namespace> [revision] [--dry-run]"
ns="" revision="" dry_run=false
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *)
      if [[ -z "$ns" ]]; then ns="$arg"
      elif [[ -z "$revision" ]]; then revision="$arg"
      else echo "$usage" >&2; exit 2
      fi
      ;;
  esac
done
[[ "$ns" =~ ^twist-(staging|production|ci)$ ]] || { echo "helm-rollback: namespace must be twist-staging, twist-production or twist-ci; $usage" >&2; exit 2; }
[[ -z "$revision" || "$revision" =~ ^[1-9][0-9]*$ ]] || { echo "helm-rollback: revision must be a positive number" >&2; exit 2; }
timeout="${HELM_TIMEOUT:-10m}"

history="$(helm history twist -n "$ns" --max 256 -o json)"
helm history twist -n "$ns" --max 10 >&2 || true

decision="$(HELM_HISTORY_JSON="$history" python3 - "$revision" <<'PY'
import json
import os
import re
import sys

wanted = int(sys.argv[1]) if sys.argv[1] else None
revs = sorted(json.loads(os.environ["HELM_HISTORY_JSON"]), key=lambda r: r["revision"])
by = {r["revision"]: r for r in revs}
ROLLBACK = re.compile(r"^Rollback to (\d+)$")


def content(n, seen=()):
    """The revision whose chart and values revision n runs (a rollback runs its target's)."""
    m = ROLLBACK.match(by[n].get("description", "")) if n in by else None
    if m and int(m.group(1)) in by and n not in seen:
        return content(int(m.group(1)), seen + (n,))
    return n


rolled_back_from = {r["revision"] for r in revs if r["revision"] + 1 in by and ROLLBACK.match(by[r["revision"] + 1].get("description", ""))}
live = [r["revision"] for r in revs if r["status"] == "deployed"]
if not live:
    print("error no revision of twist is deployed (helm history shows none with status deployed)")
    sys.exit(0)
current = live[-1]
bad_content = {content(n) for n in rolled_back_from} | {r["revision"] for r in revs if r["status"] not in ("deployed", "superseded")}


def why_not(n):
    r = by[n]
    if r["status"] not in ("deployed", "superseded"):
        return f"its status is {r['status']}"
    if n in rolled_back_from:
        return "it was rolled back from"
    if content(n) in bad_content:
        return f"it runs revision {content(n)}, which was rolled back from"
    if content(n) == content(current):
        return f"it runs the same as the current revision {current}"
    return None


if wanted is not None:
    if wanted not in by:
        print(f"error revision {wanted} is not in the history")
    elif wanted == current:
        print(f"error revision {wanted} is the current one")
    elif why_not(wanted):
        print(f"error revision {wanted} is not a good revision: {why_not(wanted)}")
    else:
        print(f"ok {current} {wanted}")
    sys.exit(0)
for r in reversed(revs):
    n = r["revision"]
    if n < current and why_not(n) is None:
        print(f"ok {current} {n}")
        break
else:
    print(f"error no good revision before the current revision {current}")
PY
)"

read -r verdict rest <<<"$decision"
if [[ "$verdict" != ok ]]; then
  echo "helm-rollback: $ns: $rest" >&2
  exit 1
fi
read -r current target <<<"$rest"
echo "helm-rollback: $ns $current -> $target"
if $dry_run; then
  echo "helm-rollback: dry run, nothing changed"
  exit 0
fi
helm rollback twist "$target" -n "$ns" --wait --timeout "$timeout"
helm test twist -n "$ns" --timeout 5m --logs
helm history twist -n "$ns" --max 3
