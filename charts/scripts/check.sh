#!/usr/bin/env bash
# The containers + charts part of the repository's test command (issues 8 and 9). No Docker
# engine, no cluster and no network beyond the package registries are needed:
#   - Dockerfiles: hadolint + a written checklist (non-root numeric USER, tagged bases marked
#     for digest pinning, HEALTHCHECK, multi-stage, OCI labels, JVM container flags)
#   - docker-compose.backend.yml: loaded by compose-go (the loader of `docker compose config`:
#     Compose-specification schema, interpolation, semantics), required variables stop it,
#     every ${VAR} documented in .env.backend.example, plus the stack's own rules
#   - charts: helm lint --strict and helm template for default, staging and production values;
#     kubeconform -strict against the schemas of KUBERNETES_VERSION (versions.env); values that break values.schema.json
#     are rejected; render guards; policy tests over every rendered manifest
#   - the helm JWT test client against a local stand-in (when a JDK 21+ is found)
#   - the Dockerfiles' Maven build command on exactly the .dockerignore'd context, then both
#     jars with the images' ENTRYPOINT flags under bubblewrap: read-only root, tmpfs /tmp,
#     uid 10001 (skipped without JDK 21+/Maven/bwrap, or with TWIST_CHECK_SKIP_READONLY=1)
#   - shellcheck on k3s/ and the scripts
# Tools are pinned and installed by charts/scripts/install-tools.sh into <repo>/.tools.
# Exits non-zero on any failure. Last line: "charts: N passed, M failed".
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

# An assignment, not eval "$(...)", so a failed install stops the check here.
tool_env="$(bash charts/scripts/install-tools.sh --env)"
eval "$tool_env"
py="$TWIST_TOOLS_PY"
echo "tools: helm $(helm version --short), $(sed "s/.*@/kubeconform /" .tools/stamps/kubeconform), $(hadolint --version), shellcheck $(shellcheck --version | awk '/^version/ {print $2}')"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# run NAME CMD...: one check that passes when CMD exits 0 (its output is shown on failure).
run() {
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/out"; fi
}

# reject NAME PATTERN CMD...: one check that passes when CMD fails with PATTERN in its output.
reject() {
  local name="$1" pattern="$2"; shift 2
  if "$@" >"$work/out" 2>&1; then
    fail "$name (was accepted)"
  elif grep -Eq -- "$pattern" "$work/out"; then
    pass "$name"
  else
    fail "$name (failed for another reason)"; sed 's/^/    /' "$work/out"
  fi
}

# many NAME CMD...: adds the PASS/FAIL lines of a script that prints one line per check.
many() {
  local name="$1" n_pass n_fail rc=0; shift
  "$@" >"$work/many" 2>&1 || rc=$?
  n_pass="$(grep -c '^PASS ' "$work/many" || true)"
  n_fail="$(grep -c '^FAIL ' "$work/many" || true)"
  passed=$((passed + n_pass)) failed=$((failed + n_fail))
  if [[ "$n_fail" -gt 0 || "$n_pass" -eq 0 || "$rc" -ne 0 ]]; then
    grep -v '^PASS ' "$work/many" | sed 's/^/    /'
    # a crash after some PASS lines, or no checks at all, is a failure too
    if [[ "$n_fail" -eq 0 ]]; then fail "$name (exit $rc, $n_pass checks ran)"; fi
  fi
  echo "$name: $n_pass passed, $n_fail failed"
}

echo "== Dockerfiles"
run "hadolint services/Dockerfile" hadolint --config charts/tests/hadolint.yaml services/Dockerfile
for f in scripts/images/base/*.Dockerfile; do
  run "hadolint $f (local base-image equivalent)" hadolint --config charts/tests/hadolint-base.yaml "$f"
done
many "container checklist (Dockerfiles, .dockerignore, compose, env example)" \
  "$py" charts/tests/check_containers.py "$repo"

echo "== docker-compose.backend.yml"
cat >"$work/env.ok" <<'ENV'
DB_PASSWORD=test-only-db-password
REDIS_PASSWORD=test-only-redis-password
AUTH_JWT_KEYS='{"keys":[{"kty":"EC","crv":"P-256","kid":"k1"}]}'
EDGE_SERVICE_KEY=test-only-edge-key
ENV
run "compose file loads (Compose spec schema, interpolation, semantics)" \
  compose-config -f docker-compose.backend.yml --env-file "$work/env.ok"
reject "compose stops when the example's required secrets are still empty" \
  "required variable DB_PASSWORD is missing a value: DB_PASSWORD is required" \
  compose-config -f docker-compose.backend.yml --env-file .env.backend.example
reject "compose names a missing AUTH_JWT_KEYS and how to generate it" \
  "AUTH_JWT_KEYS is required - run .*generate-key" \
  compose-config -f docker-compose.backend.yml --env-file <(grep -v AUTH_JWT_KEYS "$work/env.ok")
sed 's/^    restart: unless-stopped$/    restart: unless-stopped\n    restart_policy_typo: always/' docker-compose.backend.yml >"$work/bad-compose.yml"
reject "the Compose schema rejects an unknown service key" "restart_policy_typo" \
  compose-config -f "$work/bad-compose.yml" --env-file "$work/env.ok"

echo "== digest pinning (charts/scripts/pin-base-images.sh, run by deploy-staging before building)"
# A copy of the container files, pinned with a stand-in registry client that answers a
# deterministic fake digest: proves the rewrite keeps every file valid. Real digests come
# only from the registry, in CI.
pin="$work/pin"
mkdir -p "$pin/bin" "$pin/charts/scripts" "$pin/services/auth-service" "$pin/services/influencer-api"
cp services/Dockerfile "$pin/services/"
cp docker-compose.backend.yml .env.backend.example .dockerignore versions.env "$pin/"
cp charts/scripts/pin-base-images.sh "$pin/charts/scripts/"
for svc in auth-service influencer-api; do cp "services/$svc/pom.xml" "$pin/services/$svc/"; done
# shellcheck disable=SC2016 # the stand-in script's own expansions
printf '#!/bin/sh\necho "sha256:$(printf %%s "$2" | sha256sum | cut -c1-64)"\n' >"$pin/bin/crane"
chmod +x "$pin/bin/crane"
# shellcheck disable=SC2016 # expanded by the inner sh
run "pin-base-images --write pins every base image" sh -c \
  'cd "$0" && PATH="$0/bin:$PATH" CRANE=1 bash charts/scripts/pin-base-images.sh --write &&
   [ "$(grep -c "^ARG [A-Z_]*_IMAGE=.*@sha256:[a-f0-9]\{64\}$" services/Dockerfile)" = 2 ] &&
   [ "$(grep -c "image: \${[A-Z_]*_IMAGE:-.*@sha256:[a-f0-9]\{64\}}$" docker-compose.backend.yml)" = 2 ] &&
   [ "$(grep -c "^[A-Z0-9_]*_IMAGE=.*@sha256:[a-f0-9]\{64\}$" versions.env)" = "$(grep -c "^[A-Z0-9_]*_IMAGE=" versions.env)" ]' "$pin"
run "pinned Dockerfile passes hadolint" hadolint --config charts/tests/hadolint.yaml "$pin"/services/Dockerfile
many "container checklist on the pinned copy" "$py" charts/tests/check_containers.py "$pin"
run "pinned compose file loads" compose-config -f "$pin/docker-compose.backend.yml" --env-file "$work/env.ok"

echo "== charts"
digest_a="sha256:$(printf 'a%.0s' {1..64})"
digest_b="sha256:$(printf 'b%.0s' {1..64})"
# What CI passes on a real deploy: the image digests it built, the R2 endpoint (not a secret).
app_sets=(--set image.registry=ghcr.io/acme --set "authService.image.digest=$digest_a" --set "influencerApi.image.digest=$digest_b"
  --set "tunnel.image.digest=$digest_a" --set "tests.jwtRoundTrip.image.digest=$digest_b")
data_sets=(--set "backup.s3.endpoint=https://test-account.r2.cloudflarestorage.com")
data_digest_sets=(--set "postgresql.image.digest=$digest_a" --set "redis.image.digest=$digest_a" --set "backup.image.digest=$digest_b")
schema_location="$TWIST_K8S_SCHEMAS/{{ .NormalizedKubernetesVersion }}{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
# the platform's Kubernetes (KUBERNETES_VERSION in versions.env, exported by install-tools.sh)
kube_version="$TWIST_KUBE_VERSION"
kubeconform_args=(-strict -summary -kubernetes-version "$kube_version" -schema-location "$schema_location"
  # Traefik's Middleware is a CRD without a schema here; everything else must validate
  -skip Middleware)

# render CHART ENV ARGS...: lint --strict and template one chart/environment into $work.
render() {
  local chart="$1" env="$2"; shift 2
  local files=()
  [[ "$env" == default ]] || files=(-f "charts/$chart/values-$env.yaml")
  run "helm lint --strict $chart ($env)" helm lint --strict "charts/$chart" "${files[@]}" "$@"
  # shellcheck disable=SC2016 # expanded by the inner sh
  run "helm template $chart ($env)" sh -c 'helm template "$@" > "$0"' "$work/$chart-$env.yaml" \
    "$chart" "charts/$chart" --namespace "twist-$env" --kube-version "$kube_version" "${files[@]}" "$@"
  run "kubeconform -strict (Kubernetes $kube_version) $chart ($env)" \
    kubeconform "${kubeconform_args[@]}" "$work/$chart-$env.yaml"
}

render twist default
render twist staging "${app_sets[@]}"
render twist production "${app_sets[@]}"
render twist-data default
render twist-data staging "${data_sets[@]}" "${data_digest_sets[@]}"
render twist-data production "${data_sets[@]}" "${data_digest_sets[@]}"

# every toggle combination that changes the object set renders and validates
render_validate() { # OUT CHART [helm args...]
  local out="$1"; shift
  helm template t "$@" --kube-version "$kube_version" >"$out" && kubeconform "${kubeconform_args[@]}" "$out"
}
toggles=(
  "ingress and tunnel together|--set tunnel.enabled=true --set ingress.tls.enabled=true --set ingress.tls.secretName=api-tls"
  "no NetworkPolicy, no migrations, no tests|--set networkPolicy.enabled=false --set migrations.enabled=false --set tests.enabled=false"
  "three replicas, no preStop sleep|--set authService.replicaCount=3 --set influencerApi.replicaCount=3 --set shutdown.preStopSleepSeconds=0"
)
for entry in "${toggles[@]}"; do
  read -r -a extra <<<"${entry#*|}"
  run "twist renders and validates: ${entry%%|*}" render_validate "$work/toggle.yaml" charts/twist "${extra[@]}"
done
run "twist-data renders and validates: no backup, no NetworkPolicy" render_validate "$work/toggle.yaml" \
  charts/twist-data --set backup.enabled=false --set networkPolicy.enabled=false

echo "== policy over rendered manifests"
many "policy twist (default)" "$py" charts/tests/policy.py twist-default "$work/twist-default.yaml" \
  --expect Deployment=2 Ingress=1 Job=1 Pod=2 NetworkPolicy=2 PodDisruptionBudget=0
# the k3s pod network (cluster-cidr) the cloudflared pods get their addresses from
pod_cidr="$(sed -n 's/^POD_CIDR=//p' k3s/bootstrap.sh)"
many "policy twist (staging)" "$py" charts/tests/policy.py twist-staging "$work/twist-staging.yaml" \
  --require-digest --expect Deployment=3 Ingress=0 NetworkPolicy=3 PodDisruptionBudget=0 \
  --public-config terraform/environments/staging.tfvars "$pod_cidr"
many "policy twist (production)" "$py" charts/tests/policy.py twist-production "$work/twist-production.yaml" \
  --require-digest --expect Deployment=3 Ingress=0 NetworkPolicy=3 PodDisruptionBudget=2 \
  --public-config terraform/environments/production.tfvars "$pod_cidr"
many "policy twist-data (default)" "$py" charts/tests/policy.py twist-data-default "$work/twist-data-default.yaml" \
  --expect StatefulSet=2 CronJob=2 NetworkPolicy=2
many "policy twist-data (staging)" "$py" charts/tests/policy.py twist-data-staging "$work/twist-data-staging.yaml" \
  --require-digest --expect StatefulSet=2 CronJob=2
many "policy twist-data (production)" "$py" charts/tests/policy.py twist-data-production "$work/twist-data-production.yaml" \
  --require-digest --expect StatefulSet=2 CronJob=2
many "docs/cost.md memory limits = rendered limits" "$py" charts/tests/check_cost_memory.py docs/cost.md \
  "staging=$work/twist-staging.yaml,$work/twist-data-staging.yaml" \
  "production=$work/twist-production.yaml,$work/twist-data-production.yaml"
run "production app images are referenced by digest" \
  grep -q "image: \"ghcr.io/acme/twist-auth-service:0.1.0@$digest_a\"" "$work/twist-production.yaml"
# issue 17 item 18: staging's backup token must not reach production's dumps, so each
# environment writes to its own bucket, named after it (the R2 token of docs/secrets.md is
# scoped to that bucket only)
backup_target() { sed -n 's/^  BACKUP_PREFIX: "r2:\([^/]*\)\/.*"$/\1/p' "$work/twist-data-$1.yaml"; }
# shellcheck disable=SC2016 # expanded by the inner sh
run "staging and production back up to different buckets, each its own (twist-backups-<env>)" sh -c \
  '[ "$0" = twist-backups-staging ] && [ "$1" = twist-backups-production ] && [ "$0" != "$1" ]' \
  "$(backup_target staging)" "$(backup_target production)"
run "the migration Job is a pre-install,pre-upgrade hook" \
  grep -q 'helm.sh/hook: pre-install,pre-upgrade' "$work/twist-production.yaml"
# shellcheck disable=SC2016 # expanded by the inner sh
run "pods roll when their ConfigMap changes (checksum annotation)" sh -c \
  'a=$(helm template t charts/twist --kube-version "$TWIST_KUBE_VERSION" | grep -m1 checksum/config);
   b=$(helm template t charts/twist --kube-version "$TWIST_KUBE_VERSION" --set logLevel=FINE | grep -m1 checksum/config);
   [ -n "$a" ] && [ "$a" != "$b" ]'

echo "== third-party images: versions.env pins -> the release record -> helm --set flags"
# The record deploy-staging writes (--resolved-json of a pinned versions.env, here the stand-in
# registry's digests) renders staging and production with a digest for every third-party image.
if (cd "$pin" && bash charts/scripts/pin-base-images.sh --resolved-json) >"$work/pins.json" 2>"$work/out"; then
  pass "pin-base-images --resolved-json of the pinned versions.env"
else
  fail "pin-base-images --resolved-json of the pinned versions.env"; sed 's/^/    /' "$work/out"
fi
third_sets() { # CHART: the --set flags of that chart from the record
  bash charts/scripts/pin-base-images.sh --print-sets "$work/pins.json" | awk -v c="$1" '$1 == c {print $2; print $3}'
}
mapfile -t rec_app < <(third_sets twist)
mapfile -t rec_data < <(third_sets twist-data)
run "the recorded third-party digests render twist (production)" \
  helm template t charts/twist --kube-version "$kube_version" -f charts/twist/values-production.yaml \
  "${app_sets[@]:0:6}" "${rec_app[@]}"
run "the recorded third-party digests render twist-data (production)" \
  helm template t charts/twist-data --kube-version "$kube_version" -f charts/twist-data/values-production.yaml \
  "${data_sets[@]}" "${rec_data[@]}"
grep -E '^[A-Z0-9_]+_IMAGE=' versions.env | sed 's/@sha256:.*//' >"$work/tags.env"
reject "images without a digest are refused for staging/production" "has no digest" \
  bash charts/scripts/pin-base-images.sh --print-sets "$work/tags.env"
run "images without a digest are accepted with --allow-tags (the ci environment)" \
  bash charts/scripts/pin-base-images.sh --print-sets --allow-tags "$work/tags.env"
# shellcheck disable=SC2016 # expanded by the inner bash
reject "--resolved-json refuses an unpinned versions.env" "has no digest: run --write first" \
  bash -c 'cd "$0" && sed -i "s/^\(POSTGRES_IMAGE=[^@]*\)@.*/\1/" versions.env && bash charts/scripts/pin-base-images.sh --resolved-json' "$pin"

# CI's k3s job creates the Secret by hand (scripts/github/k3s-ci.sh secrets): it must hold every
# key a pod of the default render requires, or that pod never starts there.
run "CI's k3s Secret holds every required Secret key of the twist chart" "$py" -c '
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
need = set()
def walk(node):
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict) and not ref.get("optional"):
            need.add(ref["key"])
        sec = node.get("secret")
        if isinstance(sec, dict) and not sec.get("optional"):
            need.update(i["key"] for i in sec.get("items") or [])
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk([d for d in docs if d["kind"] != "Pod"])
have = set(re.findall(r"--from-literal=([A-Z0-9_]+)=", open(sys.argv[2]).read()))
missing = sorted(need - have)
print("required:", sorted(need), "missing in k3s-ci.sh:", missing)
sys.exit(1 if missing or not need else 0)
' "$work/twist-default.yaml" scripts/github/k3s-ci.sh

echo "== public addresses and client IPs: what the policy must refuse in staging and production"
# mutant ENV SED [helm args...]: renders ENV with its values file edited by SED, then runs the
# --public-config policy on it (expected to fail: each mutant is an operator's plausible slip)
mutant() {
  local env="$1" script="$2"; shift 2
  sed "$script" "charts/twist/values-$env.yaml" >"$work/mutant-values.yaml"
  helm template twist charts/twist --namespace "twist-$env" --kube-version "$kube_version" \
    -f "$work/mutant-values.yaml" "${app_sets[@]}" "$@" >"$work/mutant.yaml"
  "$py" charts/tests/policy.py "twist-$env" "$work/mutant.yaml" \
    --public-config "terraform/environments/$env.tfvars" "$pod_cidr"
}
# rendered_mutant ENV SED: the same with the rendered manifests edited by SED
rendered_mutant() {
  sed "$2" "$work/twist-$1.yaml" >"$work/mutant.yaml"
  "$py" charts/tests/policy.py "twist-$1" "$work/mutant.yaml" \
    --public-config "terraform/environments/$1.tfvars" "$pod_cidr"
}
# shellcheck disable=SC2016 # "$a" is sed's append-after-the-last-line command
for env in staging production; do
  reject "$env without appUrl (verification links to the chart default)" "FAIL .*sets APP_URL" \
    mutant "$env" '/^  appUrl:/d'
  reject "$env with appUrl on localhost" "FAIL .*sets APP_URL" \
    mutant "$env" 's|^  appUrl: .*|  appUrl: http://localhost:3000|'
  reject "$env without links.publicBase (referral links to the chart default)" "FAIL .*sets LINKS_PUBLIC_BASE" \
    mutant "$env" '/^    publicBase:/d'
  reject "$env with links.publicBase on the other environment's host" "FAIL .*LINKS_PUBLIC_BASE is the environment's API host" \
    mutant "$env" 's|^    publicBase: .*|    publicBase: https://api-other.twist.finance|'
  reject "$env without links.defaultDestination" "FAIL .*sets LINKS_DEFAULT_DESTINATION" \
    mutant "$env" '/^    defaultDestination:/d'
  reject "$env trusting the whole IPv4 internet half by half" "FAIL .*LINKS_TRUSTED_PROXIES trusts only the pod network" \
    mutant "$env" '$a trustedProxies: [0.0.0.0/1, 128.0.0.0/1]'
  reject "$env trusting a range beyond the pod network" "FAIL .*AUTH_TRUSTED_PROXIES trusts only the pod network" \
    mutant "$env" '$a trustedProxies: [10.0.0.0/8]'
  reject "$env trusting only one node's pod subnet (tunnel pods elsewhere)" "FAIL .*covers the pod network" \
    mutant "$env" '$a trustedProxies: [10.42.0.0/24]'
  reject "$env without the tunnel" "FAIL .*cloudflared tunnel" \
    mutant "$env" 's|^  enabled: true$|  enabled: false|'
  reject "$env without LINKS_IP_PEPPER (each replica a random pepper)" "FAIL .*LINKS_IP_PEPPER from a required Secret key" \
    rendered_mutant "$env" 's/name: LINKS_IP_PEPPER$/name: LINKS_IP_PEPPER_UNUSED/'
  reject "$env with an optional LINKS_IP_PEPPER" "FAIL .*LINKS_IP_PEPPER from a required Secret key" \
    rendered_mutant "$env" '/key: LINKS_IP_PEPPER$/{p;s/key: .*/optional: true/}'
done

echo "== values that must be rejected"
t() { helm template t "charts/$1" --kube-version "$kube_version" "${@:2}"; }
reject "schema: unknown top-level key" "additional properties 'replicas' not allowed|additionalProperties" \
  t twist --set replicas=3
reject "schema: image tag latest" "authService.image.tag|latest" t twist --set authService.image.tag=latest
reject "schema: maxUnavailable other than 0" "rollout.maxUnavailable" t twist --set rollout.maxUnavailable=1
reject "schema: writable root filesystem" "readOnlyRootFilesystem" t twist --set securityContext.readOnlyRootFilesystem=false
reject "schema: running as root allowed" "runAsNonRoot" t twist --set podSecurityContext.runAsNonRoot=false
reject "schema: malformed digest" "digest" t twist --set authService.image.digest=sha256:abc
reject "schema: resources without limits" "limits" t twist --set influencerApi.resources.limits=null
reject "schema: a secret written into values (unknown key)" "additional properties|additionalProperties" \
  t twist --set database.password=hunter2
reject "schema: zero replicas" "replicaCount" t twist --set authService.replicaCount=0
echo "== /metrics stays off every public path: what the policy must refuse"
policy_of() { # RENDERED: the policy over a rendered file (no --expect)
  "$py" charts/tests/policy.py twist-mutant "$1"
}
sed 's/targetPort: http$/targetPort: management/' "$work/twist-staging.yaml" >"$work/mutant.yaml"
reject "a Service that exposes the management port" "FAIL .*does not expose the management port" \
  policy_of "$work/mutant.yaml"
t_render() { helm template t charts/twist --kube-version "$kube_version" "$@" >"$work/mutant.yaml" && policy_of "$work/mutant.yaml"; }
reject "metrics reachable from the tunnel pods" "FAIL .*management port admits only" \
  t_render --set tunnel.enabled=true \
  --set-json 'networkPolicy.metricsFrom=[{"podSelector":{"matchLabels":{"app.kubernetes.io/component":"cloudflared"}}}]'
reject "metrics reachable from the ingress controller's namespace" "FAIL .*management port admits only" \
  t_render --set-json 'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"app.kubernetes.io/name":"traefik"}}}]'
reject "metrics reachable from any address" "FAIL .*management port admits only" \
  t_render --set-json 'networkPolicy.metricsFrom=[{"ipBlock":{"cidr":"0.0.0.0/0"}}]'
reject "schema: an empty metrics peer (everyone)" "metricsFrom" t twist --set-json 'networkPolicy.metricsFrom=[{}]'

reject "schema: no secret key for the click IP pepper" "linksIpPepper" t twist --set secretKeys.linksIpPepper=null
reject "schema: trusting every address (/0)" "trustedProxies" t twist --set 'trustedProxies={0.0.0.0/0}'
reject "schema (data): retention of 0 days" "retentionDays" t twist-data --set backup.retentionDays=0
reject "schema (data): unknown key" "additional properties|additionalProperties" t twist-data --set postgresql.password=x
reject "guard: production without image digests" "a digest is required" \
  t twist -f charts/twist/values-production.yaml
reject "guard: production without the registry and owner CI pushes to" "image.registry is required" \
  t twist -f charts/twist/values-production.yaml "${app_sets[@]:2}"
reject "guard: shutdown budget beyond terminationGracePeriodSeconds" "must not exceed terminationGracePeriodSeconds" \
  t twist --set shutdown.preStopSleepSeconds=20
reject "guard: data chart without the R2 endpoint" "backup.s3.endpoint is required" \
  t twist-data -f charts/twist-data/values-staging.yaml "${data_digest_sets[@]}"
reject "guard: data production without image digests" "a digest is required" \
  t twist-data -f charts/twist-data/values-production.yaml "${data_sets[@]}"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 1\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: "x:1"}]}}\n' >"$work/bad.yaml"
reject "kubeconform -strict rejects an unknown field (the schemas bite)" "replica" \
  kubeconform "${kubeconform_args[@]}" "$work/bad.yaml"

echo "== helm test client (JWT round trip)"
# shellcheck source=bin/lib/jdk.sh
if (source bin/lib/jdk.sh && use_jdk21 >/dev/null 2>&1); then
  java_bin="$(source bin/lib/jdk.sh && use_jdk21 2>/dev/null && command -v java)"
  many "JWT test client" "$py" charts/tests/jwt_fake_backend.py "$java_bin" charts/twist/files/JwtRoundTrip.java
else
  skipped=$((skipped + 2)); echo "SKIP JWT test client: no JDK 21+ here (bin/lib/jdk.sh)"
fi

echo "== images without an engine: build-stage command on the .dockerignore context, read-only run"
if [[ "${TWIST_CHECK_SKIP_READONLY:-0}" == 1 ]]; then
  skipped=$((skipped + 7)); echo "SKIP read-only run (TWIST_CHECK_SKIP_READONLY=1)"
elif bash charts/tests/readonly_run.sh "$repo" >"$work/ro" 2>&1 && grep -q '^SKIP' "$work/ro"; then
  skipped=$((skipped + 7)); cat "$work/ro"
else
  many "read-only run" cat "$work/ro"
fi

echo "== k3s/load-secrets.sh and the restore script (stand-in kubectl)"
many "operator scripts" bash charts/tests/test_k3s_scripts.sh "$repo"

echo "== VM_SSH_KNOWN_HOSTS: the k3s/README.md command against a real sshd, then CI's tunnel script"
many "known_hosts" bash charts/tests/test_ssh_known_hosts.sh "$repo"

echo "== shellcheck"
mapfile -t scripts < <(git ls-files -co --exclude-standard -- 'k3s/*.sh' 'k3s/**/*.sh' 'charts/*.sh' 'charts/**/*.sh' | sort -u)
for s in "${scripts[@]}"; do
  run "shellcheck $s" shellcheck -x "$s"
done

summary="charts: $passed passed, $failed failed"
[[ "$skipped" -eq 0 ]] || summary+=", $skipped skipped"
echo "$summary"
[[ "$failed" -eq 0 ]]
