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
cat >"$tmp/secret-from-env-file.py" <<'PY'
# What `kubectl create secret generic NAME --from-env-file=F --dry-run=client -o yaml` prints,
# following kubectl's documented env-file rules (https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#create-configmaps-from-files,
# --from-env-file in https://kubernetes.io/docs/reference/kubectl/generated/kubectl_create/kubectl_create_secret_generic/):
# one VAR=VAL per line, "#" lines and blank lines ignored, no special handling of quotes (the
# rest of the line is the value), leading whitespace of a line ignored; values base64 in .data.
import base64, json, sys
name, ns, path = sys.argv[1:4]
data = {}
for raw in open(path, encoding="utf-8"):
    line = raw.rstrip("\n").lstrip()
    if not line or line.startswith("#"):
        continue
    key, _, value = line.partition("=")
    data[key] = base64.b64encode(value.encode()).decode()
print(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "data": data}))
PY
cat >"$tmp/kubectl" <<'STUB'
#!/usr/bin/env bash
# records argv; answers the few reads the scripts make
echo "$*" >>"$KUBECTL_LOG"
case "$*" in
  # like the real one, apply reads the whole manifest (else the writer dies of SIGPIPE); kept
  # so a test can read the Secret that would have been applied
  *"apply -f -"*) cat >"${KUBECTL_APPLIED:-/dev/null}" ;;
  *"get deployment"*"jsonpath={.spec.replicas}"*) echo 2 ;;
  *"get job"*"jsonpath"*) echo "1/" ;;
  *"create secret generic"*"--from-env-file="*"--dry-run=client -o yaml"*)
    # -n NS create secret generic NAME --from-env-file=FILE ...
    exec python3 "$(dirname "$0")/secret-from-env-file.py" "$6" "$2" "${7#--from-env-file=}" ;;
  *"--dry-run=client -o yaml"*) echo "kind: Stub" ;;
esac
exit 0
STUB
chmod +x "$tmp/kubectl"
export KUBECTL="$tmp/kubectl" KUBECTL_LOG="$log" KUBECTL_APPLIED="$tmp/applied.json"

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
CLOUDFLARED_TUNNEL_TOKEN=s3cret-tunnel
CONVERSIONS_SECRET_KEY=s3cretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
LINKS_IP_PEPPER=s3cret-pepper
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

# The env template of k3s/README.md step 5, filled as an operator would: each "<openssl rand ...>"
# placeholder is run as written, the others (values from Cloudflare, generate-key's output) get
# generated values of their shape. The loader must accept it and the Secret it would apply
# must hold exactly the filled keys and values.
cat >"$tmp/fill-template.py" <<'PY'
import json, re, secrets, subprocess, sys
readme, out = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
block = text.split("<!-- secrets-env-template", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
lines = []
for line in block.splitlines():
    m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=<(.*)>", line)
    if not m:
        assert line.startswith("#") or not line.strip(), f"template line is neither KEY=<...> nor a comment: {line!r}"
        continue
    key, hint = m.groups()
    if hint.startswith("openssl rand"):
        value = subprocess.run(["bash", "-c", hint.split(";")[0]], check=True, capture_output=True, text=True).stdout.strip()
    elif key == "AUTH_JWT_KEYS":  # the shape generate-key prints: a JWK Set with a private EC key
        b64 = lambda n: secrets.token_urlsafe(n)
        value = json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64(32), "y": b64(32), "d": b64(32)}]}, separators=(",", ":"))
    else:  # R2 token id/secret, tunnel token
        value = secrets.token_urlsafe(32)
    lines.append(f"{key}={value}")
open(out, "w").write("\n".join(lines) + "\n")
PY
( umask 077; python3 "$tmp/fill-template.py" "$repo/k3s/README.md" "$tmp/readme.env" ) 2>"$tmp/fill.err"
name="load-secrets: the README env template, filled as documented, is accepted"
: >"$log"; rm -f "$tmp/applied.json"
if out="$(bash "$repo/k3s/load-secrets.sh" twist-staging "$tmp/readme.env" 2>&1)"; then echo "PASS $name"; else echo "FAIL $name: $out $(cat "$tmp/fill.err")"; fi
name="load-secrets: the Secret applied from the README template holds exactly the filled keys and values"
ok python3 -c '
import base64, json, sys
applied = json.load(open(sys.argv[1]))
want = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]) if l.strip())
got = {k: base64.b64decode(v).decode() for k, v in applied["data"].items()}
assert applied["metadata"] == {"name": "twist-secrets", "namespace": "twist-staging"}, applied["metadata"]
assert got == want, sorted(set(got) ^ set(want))
assert {"CONVERSIONS_SECRET_KEY", "LINKS_IP_PEPPER", "CLOUDFLARED_TUNNEL_TOKEN"} <= set(got)
' "$tmp/applied.json" "$tmp/readme.env"
name="load-secrets: says which keys the staging values require, and why"
ok bash -c 'grep -q "^required for twist-staging by the values in use: .*CLOUDFLARED_TUNNEL_TOKEN" <<<"$0"' "$out"

grep -v CLOUDFLARED_TUNNEL_TOKEN "$good" >"$tmp/notunnel.env" && chmod 600 "$tmp/notunnel.env"
refuse "load-secrets: refuses a missing tunnel token when tunnel.enabled (staging values)" "$tmp/notunnel.env" \
  "missing required key CLOUDFLARED_TUNNEL_TOKEN (tunnel.enabled; charts/twist/values.yaml + charts/twist/values-staging.yaml)"
printf 'tunnel:\n  enabled: false\n' >"$tmp/no-tunnel.yaml"
name="load-secrets: --values with tunnel.enabled false makes the tunnel token optional"
: >"$log"
ok bash -c 'bash "$0/k3s/load-secrets.sh" --values "$1" twist-staging "$2" >/dev/null 2>&1 && grep -q "create secret generic" "$3"' \
  "$repo" "$tmp/no-tunnel.yaml" "$tmp/notunnel.env" "$log"
grep -v CONVERSIONS_SECRET_KEY "$good" >"$tmp/noconv.env" && chmod 600 "$tmp/noconv.env"
refuse "load-secrets: refuses a missing CONVERSIONS_SECRET_KEY in mode production" "$tmp/noconv.env" \
  "missing required key CONVERSIONS_SECRET_KEY (mode: production"
sed 's/^CONVERSIONS_SECRET_KEY=.*/CONVERSIONS_SECRET_KEY=dG9vLXNob3J0/' "$good" >"$tmp/shortconv.env" && chmod 600 "$tmp/shortconv.env"
refuse "load-secrets: refuses a CONVERSIONS_SECRET_KEY that is not base64 of 32 bytes" "$tmp/shortconv.env" \
  "CONVERSIONS_SECRET_KEY is not base64 of 32 bytes"
{ cat "$good"; printf 'SMTP_USERNAME=\nSMTP_PASSWORD=\n'; } >"$tmp/emptysmtp.env" && chmod 600 "$tmp/emptysmtp.env"
refuse "load-secrets: refuses the empty SMTP_* lines the old template had, saying to remove them" "$tmp/emptysmtp.env" \
  "SMTP_USERNAME is empty: give it a value, or remove the line"
printf 'influencerApi:\n  smtp:\n    host: smtp.example.net\n' >"$tmp/smtp.yaml"
name="load-secrets: --values with influencerApi.smtp.host set requires SMTP_USERNAME and SMTP_PASSWORD"
: >"$log"
msg="$(bash "$repo/k3s/load-secrets.sh" --values "$tmp/smtp.yaml" twist-staging "$good" 2>&1)"
ok bash -c 'grep -q "missing required key SMTP_PASSWORD (influencerApi.smtp.host set" <<<"$0" && grep -q "missing required key SMTP_USERNAME" <<<"$0" && ! grep -q "create secret" "$1"' "$msg" "$log"
# A chart whose secretKeys gain a key (as linksIpPepper: LINKS_IP_PEPPER) makes the loader
# require it without a change to the loader.
mkdir -p "$tmp/charts" && cp -r "$repo/charts/twist" "$repo/charts/twist-data" "$tmp/charts/"
printf 'secretKeys:\n  newSecret: NEW_SECRET\n' >>"$tmp/charts/twist/values-staging.yaml"
name="load-secrets: a key added to the chart's secretKeys is required (--charts DIR)"
: >"$log"
msg="$(bash "$repo/k3s/load-secrets.sh" --charts "$tmp/charts" twist-staging "$good" 2>&1)"
ok bash -c 'grep -q "missing required key NEW_SECRET (always; charts/twist/values.yaml + charts/twist/values-staging.yaml)" <<<"$0"' "$msg"
mkdir -p "$tmp/lonely/k3s" && cp "$repo/k3s/load-secrets.sh" "$tmp/lonely/k3s/"
name="load-secrets: without the charts beside it, it refuses and says to pass --charts"
: >"$log"
if msg="$(bash "$tmp/lonely/k3s/load-secrets.sh" twist-staging "$good" 2>&1)"; then
  echo "FAIL $name (accepted)"
elif grep -q "pass --charts DIR" <<<"$msg" && ! grep -q "create secret" "$log"; then
  echo "PASS $name"
else
  echo "FAIL $name: $msg"
fi

name="restore: scales the API down, runs the restore template, scales back"
: >"$log"
bash "$repo/charts/twist-data/scripts/restore.sh" -n twist-staging -o twist-20260101T031700Z.dump --yes >"$tmp/restore.out" 2>&1
order="$(grep -oE 'scale deployment twist-influencer-api --replicas=[0-9]|create configmap twist-data-restore-request --from-literal=BACKUP_OBJECT=[^ ]+|create job restore-[0-9]+ --from=cronjob/twist-data-restore' "$log" | sed -E 's/restore-[0-9]+/restore-N/' | tr '\n' '|')"
ok test "$order" = "scale deployment twist-influencer-api --replicas=0|create configmap twist-data-restore-request --from-literal=BACKUP_OBJECT=twist-20260101T031700Z.dump|create job restore-N --from=cronjob/twist-data-restore|scale deployment twist-influencer-api --replicas=2|"
name="restore: refuses an object name that is not a backup"
ok bash -c '! bash "$0" -n twist-staging -o "../etc; rm" --yes >/dev/null 2>&1' "$repo/charts/twist-data/scripts/restore.sh"
