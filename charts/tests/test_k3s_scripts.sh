#!/usr/bin/env bash
# shellcheck disable=SC2016 # the bash -c snippets expand their own arguments
# Tests of k3s/load-secrets.sh and charts/twist-data/scripts/restore.sh against a stand-in
# kubectl that records its calls (no cluster). One "PASS name" / "FAIL name" line per check.
#   bash charts/tests/test_k3s_scripts.sh <repo root>
set -uo pipefail

repo="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log="$tmp/kubectl.log"
cat >"$tmp/kubectl" <<'STUB'
#!/usr/bin/env bash
# records argv; answers the few reads the scripts make
echo "$*" >>"$KUBECTL_LOG"
case "$*" in
  # like the real one, apply reads the whole manifest (else the writer dies of SIGPIPE)
  *"apply -f -"*) cat >/dev/null ;;
  *"get deployment"*"jsonpath={.spec.replicas}"*) echo 2 ;;
  *"get job"*"jsonpath"*) echo "1/" ;;
  *"--dry-run=client -o yaml"*) echo "kind: Stub" ;;
esac
exit 0
STUB
chmod +x "$tmp/kubectl"
export KUBECTL="$tmp/kubectl" KUBECTL_LOG="$log"

ok() { if "$@"; then echo "PASS $name"; else echo "FAIL $name"; fi; }

good="$tmp/good.env"
cat >"$good" <<'ENV'
# staging
DB_PASSWORD=s3cret-db-value
REDIS_PASSWORD=s3cret-redis-value
AUTH_JWT_KEYS={"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"x","y":"y","d":"d"}]}
EDGE_SERVICE_KEY=s3cret-edge
BACKUP_S3_ACCESS_KEY_ID=id
BACKUP_S3_SECRET_ACCESS_KEY=s3cret-backup
ENV
chmod 600 "$good"

name="load-secrets: accepts a complete env file and applies it with --from-env-file"
: >"$log"
out="$(bash "$repo/k3s/load-secrets.sh" twist-staging "$good" 2>&1)"
ok grep -q -- "-n twist-staging create secret generic twist-secrets --from-env-file=$good --dry-run=client -o yaml" "$log"
name="load-secrets: prints key names, never values"
ok bash -c '! grep -q s3cret <<<"$0" && grep -q "DB_PASSWORD" <<<"$0"' "$out"

refuse() { # name, file, pattern
  name="$1"
  : >"$log"
  local msg
  msg="$(bash "$repo/k3s/load-secrets.sh" twist-staging "$2" 2>&1)" && { echo "FAIL $name (accepted)"; return; }
  if grep -q -- "$3" <<<"$msg" && ! grep -q "create secret" "$log"; then echo "PASS $name"; else echo "FAIL $name: $msg"; fi
}
cp "$good" "$tmp/open.env" && chmod 644 "$tmp/open.env"
refuse "load-secrets: refuses a file others can read" "$tmp/open.env" "readable by others"
grep -v EDGE_SERVICE_KEY "$good" >"$tmp/missing.env" && chmod 600 "$tmp/missing.env"
refuse "load-secrets: refuses a missing required key" "$tmp/missing.env" "missing required key EDGE_SERVICE_KEY"
sed 's/^REDIS_PASSWORD=.*/REDIS_PASSWORD="quoted"/' "$good" >"$tmp/quoted.env" && chmod 600 "$tmp/quoted.env"
refuse "load-secrets: refuses a quoted value" "$tmp/quoted.env" "REDIS_PASSWORD is quoted"
sed 's/^DB_PASSWORD=.*/DB_PASSWORD=/' "$good" >"$tmp/empty.env" && chmod 600 "$tmp/empty.env"
refuse "load-secrets: refuses an empty value" "$tmp/empty.env" "DB_PASSWORD is empty"
sed 's/^AUTH_JWT_KEYS=.*/AUTH_JWT_KEYS={"keys":[{"kty":"EC","kid":"k1","x":"x"}]}/' "$good" >"$tmp/public.env" && chmod 600 "$tmp/public.env"
refuse "load-secrets: refuses a JWK Set without private keys" "$tmp/public.env" "not a JWK Set with private keys"

name="restore: scales the API down, runs the restore template, scales back"
: >"$log"
bash "$repo/charts/twist-data/scripts/restore.sh" -n twist-staging -o twist-20260101T031700Z.dump --yes >"$tmp/restore.out" 2>&1
order="$(grep -oE 'scale deployment twist-influencer-api --replicas=[0-9]|create configmap twist-data-restore-request --from-literal=BACKUP_OBJECT=[^ ]+|create job restore-[0-9]+ --from=cronjob/twist-data-restore' "$log" | sed -E 's/restore-[0-9]+/restore-N/' | tr '\n' '|')"
ok test "$order" = "scale deployment twist-influencer-api --replicas=0|create configmap twist-data-restore-request --from-literal=BACKUP_OBJECT=twist-20260101T031700Z.dump|create job restore-N --from=cronjob/twist-data-restore|scale deployment twist-influencer-api --replicas=2|"
name="restore: refuses an object name that is not a backup"
ok bash -c '! bash "$0" -n twist-staging -o "../etc; rm" --yes >/dev/null 2>&1' "$repo/charts/twist-data/scripts/restore.sh"
