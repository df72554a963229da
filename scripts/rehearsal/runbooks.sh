#!/usr/bin/env bash
# The runbooks' commands, read from the runbooks and run as written against the rehearsal
# cluster, so a runbook that drifts from the charts (a resource name, a label, a key) fails here.
# Called by scripts/rehearsal/run.sh with NS, KUBECONFIG (the operator's), DEPLOYER_KUBECONFIG,
# WORK (the env file of the VM is $WORK/vm/staging.env) and AUTH_1 (an auth-service image):
#   runbooks.sh failed-deploy      step 4: right after step 3's failed deploy, what the on-call
#                                  runs (Diagnosis, then the by-hand Mitigation, which is
#                                  rollback.yml's scripts/github/helm-rollback.sh)
#   runbooks.sh outages-and-keys   step 6: the dependency outages and the JWT key rotation
#
# Only what cannot exist here is replaced, each replacement named below and required to match
# (a replacement that no longer matches means the runbook changed: update this script):
#   public hosts (https://auth-staging.twist.finance)  -> the Service, port-forwarded to 127.0.0.1
#   the VM's paths (/root/twist, /tmp/twist-k3s)  -> the rehearsal's copies
#   "sudo" and "sudo k3s kubectl" on the VM       -> root's kubectl with the admin kubeconfig
#   "docker run --rm <auth image> generate-key"   -> the same image as a one-off pod (no engine)
#
# Runbooks and sections:
#   dependency outage   runbooks/database-unavailable.md, runbooks/redis-unavailable.md:
#                       Diagnosis, then the Mitigation's pod delete (a real outage), then Verify:
#                       influencer-api /ready UP again without a restart of its pods
#   failed deploy       runbooks/deploy-failed-rollback.md: Diagnosis (as the deployer) and the
#                       by-hand Mitigation (scripts/github/helm-rollback.sh)
#   JWT key rotation    runbooks/rotate-jwt-signing-key.md: Diagnosis, Mitigation steps 1-2
#                       (new key published, auth-service restarted), Verify (both kids listed,
#                       a fresh sign-in still verifies at influencer-api)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
: "${NS:?}" "${KUBECONFIG:?}" "${DEPLOYER_KUBECONFIG:?}" "${WORK:?}" "${AUTH_1:?}"
log() { echo "runbooks: $(date -u +%H:%M:%S) $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# block FILE HEADING N: the N-th (1-based) ```sh block under the "## HEADING" section
block() {
  python3 - "$@" <<'PY'
import re, sys
path, heading, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path, encoding="utf-8").read()
m = re.search(r"^## " + re.escape(heading) + r"\s*$(.*?)(?=^## |\Z)", text, re.S | re.M)
if not m:
    sys.exit(f"{path}: no section '## {heading}'")
blocks = re.findall(r"^[ \t]*```(?:sh|bash)\n(.*?)^[ \t]*```", m.group(1), re.S | re.M)
if len(blocks) < n:
    sys.exit(f"{path}: section '{heading}' has {len(blocks)} sh block(s), wanted block {n}")
lines = blocks[n - 1].splitlines()
indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
print("\n".join(l[indent:] for l in lines))
PY
}

# inline FILE REGEX: the first `code` span of FILE matching REGEX
inline() {
  python3 - "$@" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for code in re.findall(r"`([^`\n]+)`", text):
    if re.search(sys.argv[2], code):
        print(code)
        break
else:
    sys.exit(f"{sys.argv[1]}: no inline command matching {sys.argv[2]}")
PY
}

# replace TEXT FROM TO: FROM must occur in TEXT
replace() {
  [[ "$1" == *"$2"* ]] || die "the runbook no longer contains '$2' (update scripts/rehearsal/runbooks.sh)"
  printf '%s' "${1//"$2"/"$3"}"
}

shims="$WORK/runbook-shims"
mkdir -p "$shims"
printf '#!/bin/sh\n# "sudo" on the VM: the rehearsal already runs as root\nexec "$@"\n' >"$shims/sudo"
cat >"$shims/k3s" <<EOF
#!/bin/sh
# "k3s kubectl" on the VM: kubectl with the cluster admin's kubeconfig
[ "\$1" = kubectl ] || { echo "k3s shim: only 'k3s kubectl'" >&2; exit 2; }
shift
KUBECONFIG="$KUBECONFIG" exec kubectl "\$@"
EOF
chmod +x "$shims/sudo" "$shims/k3s"

# run NAME SCRIPT: runs the commands with bash -e, in $WORK/runbook (where k2.json etc. land)
run() {
  local name="$1" script="$2"
  log "$name:"
  sed 's/^/    $ /' <<<"$script" >&2
  mkdir -p "$WORK/runbook"
  (cd "$WORK/runbook" && PATH="$shims:$PATH" bash -euo pipefail -c "$script") || die "$name"
}

ready_json() { curl -s --max-time 5 http://127.0.0.1:13203/ready || true; }
forward() { # (re)starts port-forwards of both Services to 127.0.0.1:13201/13203
  [[ -n "${pf1:-}" ]] && kill "$pf1" "$pf2" 2>/dev/null || true
  kubectl -n "$NS" port-forward svc/twist-auth-service 13201:3001 >"$WORK/pf-rb-auth.log" 2>&1 & pf1=$!
  kubectl -n "$NS" port-forward svc/twist-influencer-api 13203:3003 >"$WORK/pf-rb-api.log" 2>&1 & pf2=$!
  for _ in $(seq 1 40); do
    grep -q Forwarding "$WORK/pf-rb-auth.log" && grep -q Forwarding "$WORK/pf-rb-api.log" && break
    sleep 0.25
  done
}
trap '[[ -n "${pf1:-}" ]] && kill "$pf1" "$pf2" 2>/dev/null; true' EXIT
api_pods() { kubectl -n "$NS" get pods -l app.kubernetes.io/component=influencer-api -o jsonpath='{range .items[*]}{.metadata.name}:{.status.containerStatuses[0].restartCount} {end}'; }

part="${1:?usage: runbooks.sh failed-deploy|outages-and-keys}"
if [[ "$part" == failed-deploy ]]; then
  # ---- failed deploy: what the on-call runs (as the deployer, through the tunnel)
  f=runbooks/deploy-failed-rollback.md
  run "$f Diagnosis" "export KUBECONFIG='$DEPLOYER_KUBECONFIG'; $(block "$f" Diagnosis 1)"
  run "$f Mitigation (by hand)" "export KUBECONFIG='$DEPLOYER_KUBECONFIG'; cd '$repo'; $(block "$f" Mitigation 1)"
  exit 0
fi
[[ "$part" == outages-and-keys ]] || die "unknown part $part"

# ---- dependency outage: PostgreSQL, then Redis
for dep in postgresql redis; do
  f="runbooks/database-unavailable.md"; [[ "$dep" == redis ]] && f="runbooks/redis-unavailable.md"
  run "$f Diagnosis" "$(block "$f" Diagnosis 1)"
  before="$(api_pods)"
  # the outage and its mitigation at once: the pod is deleted, the StatefulSet makes it again
  run "$f Mitigation (pod delete)" "$(inline "$f" "delete pod twist-data-$dep-0")"
  kubectl -n "$NS" wait --for=condition=Ready "pod/twist-data-$dep-0" --timeout=180s >/dev/null
  ok=0
  for _ in $(seq 1 60); do
    forward
    body="$(ready_json)"
    if [[ "$body" == *'"status":"UP"'* ]]; then ok=1; break; fi
    sleep 2
  done
  [[ $ok -eq 1 ]] || die "influencer-api /ready did not recover after the $dep outage: $body"
  [[ "$(api_pods)" == "$before" ]] || die "influencer-api pods restarted ($before -> $(api_pods)); the runbook says they need none"
  log "$f Verify: /ready $body, influencer-api pods not restarted ($before)"
done

# ---- JWT signing-key rotation, steps 1-2 and Verify
f=runbooks/rotate-jwt-signing-key.md
forward
diag="$(block "$f" Diagnosis 1)"
diag="$(replace "$diag" "https://auth-staging.twist.finance" "http://127.0.0.1:13201")"
run "$f Diagnosis" "$diag"
# step 1, the image variant (no Docker engine beside the cluster: the same image as a pod)
step1="$(block "$f" Mitigation 1)"
[[ "$step1" == *"generate-key k2 > k2.json"* ]] || die "$f step 1 no longer makes k2.json with generate-key"
pod="rotate-key-$$"
kubectl run "$pod" --restart=Never --image="$AUTH_1" --image-pull-policy=IfNotPresent -- generate-key k2 >/dev/null
kubectl wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" --timeout=120s >/dev/null
kubectl logs "$pod" | grep '^{' | tail -n1 >"$WORK/runbook/k2.json"
kubectl delete pod "$pod" --wait=false >/dev/null
step2="$(block "$f" Mitigation 2)"
step2="$(replace "$step2" "/root/twist/staging.env" "$WORK/vm/staging.env")"
step2="$(replace "$step2" "/tmp/twist-k3s/load-secrets.sh" "$repo/k3s/load-secrets.sh")"
run "$f Mitigation step 2" "$step2"
forward
kids="$(curl -s http://127.0.0.1:13201/.well-known/jwks.json | jq -r '.keys[].kid' | sort | tr '\n' ' ')"
[[ "$kids" == "k1 k2 " ]] || die "$f Verify: JWKS lists '$kids', expected k1 and k2"
log "$f Verify: the JWKS lists $kids"
shred -u "$WORK/runbook/"*.json 2>/dev/null || rm -f "$WORK/runbook/"*.json
log "all runbook commands ran as written"
