#!/usr/bin/env bash
# Images of the rehearsal (sourced by scripts/rehearsal/run.sh). The app images, two builds of
# each, and the base images are the ones scripts/images/build.sh --export builds from the
# project's Dockerfile (issue 18: docker-save archives plus images.env, ROLE=reference and
# ROLE_TAR=file), imported into the cluster's containerd. Derived here without an engine
# (scripts/rehearsal/image-tool.py):
#   never ready  auth-service whose entrypoint only sleeps: its readiness never passes
#   rclone       the backup CronJob's image: the rclone binary built from the Go module proxy
#                (scripts/cluster/build-k8s.sh) added to the local Redis image (it needs a shell)
# Third-party images are imported under the names and tags of the charts' values.yaml, so the
# digests charts/scripts/pin-base-images.sh reads (through scripts/rehearsal/bin/crane) are the
# local builds'. Sets AUTH_1 API_1 AUTH_2 API_2 AUTH_BAD (registry/repo@sha256:...).
# shellcheck shell=bash disable=SC2154 # work, cache, ns, ... are run.sh's

images_registry=localhost:5000

# chart_image CHART KEY: "repository:tag" of an image in charts/CHART/values.yaml
chart_image() {
  python3 - "charts/$1/values.yaml" "$2" <<'PY'
import sys, yaml
node = yaml.safe_load(open(sys.argv[1]))
for part in sys.argv[2].split("."):
    node = node[part]
print(f"{node['repository']}:{node['tag']}")
PY
}

# full NAME: the Docker reference normalisation (postgres:17 -> docker.io/library/postgres:17)
full_name() {
  local ref="$1" first="${1%%/*}"
  if [[ "$ref" != */* ]]; then echo "docker.io/library/$ref"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then echo "docker.io/$ref"
  else echo "$ref"; fi
}

ctr_images() { bash scripts/cluster/cluster.sh ctr images "$@"; }
digest_of() { ctr_images ls "name==$(full_name "$1")" | awk 'NR > 1 {print $3}'; }

# import_as TAR NAME [KEY]: import an archive (its one image), tag it NAME and NAME's repository
# @digest (the reference the kubelet resolves for "repo:tag@sha256:..."; ctr import does not make
# it, a registry pull would); prints the digest. KEY (default: the archive's path, size and
# mtime) is recorded per store, so a warm run only re-tags: an import costs about a minute per
# archive on a busy machine.
imported_list="${TWIST_K8S_STATE:-/var/lib/twist-k8s}/imported.list"
import_as() {
  local tar="$1" name key before digest
  name="$(full_name "$2")"
  key="${3:-$tar $(stat -c '%s %Y' "$tar" 2>/dev/null)}"
  before="$( (grep -F "$key|" "$imported_list" 2>/dev/null || true) | tail -n1 | cut -d'|' -f2)"
  if [[ -z "$before" ]] || ! ctr_images ls -q | grep -xF "$before" >/dev/null; then
    before="$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); print(json.load(t.extractfile("manifest.json"))[0]["RepoTags"][0])' "$tar")"
    before="$(full_name "$before")"
    bash scripts/cluster/cluster.sh import "$tar" >&2
    mkdir -p "$(dirname "$imported_list")"
    echo "$key|$before" >>"$imported_list"
  fi
  [[ "$before" == "$name" ]] || ctr_images tag --force "$before" "$name" >/dev/null
  digest="$(digest_of "$name")"
  ctr_images tag --force "$name" "${name%:*}@$digest" >/dev/null
  echo "$digest"
}

# derived SRC_TAR NAME ARGS...: image-tool.py's image from SRC_TAR, imported as NAME; the
# archive is made only when this derivation is not in the store yet
derived() {
  local src="$1" name="$2" key; shift 2
  key="derived $src $(stat -c '%s %Y' "$src") $*"
  local known
  known="$( (grep -F "$key|" "$imported_list" 2>/dev/null || true) | tail -n1 | cut -d'|' -f2)"
  if [[ -n "$known" ]] && ctr_images ls -q | grep -xF "$known" >/dev/null; then
    import_as /dev/null "$name" "$key"
    return
  fi
  python3 scripts/rehearsal/image-tool.py "$src" "$work_images/derived.tar" "twist-rehearsal/$(basename "${name%:*}"):${name##*:}" "$@" >/dev/null
  import_as "$work_images/derived.tar" "$name" "$key"
  rm -f "$work_images/derived.tar"
}

images_prepare() {
  local dir="$1" env_file
  work_images="$dir"
  mkdir -p "$dir"
  env_file="${TWIST_IMAGES_ENV:-}"
  if [[ -z "$env_file" ]]; then
    [[ -f scripts/images/build.sh ]] || die "scripts/images/build.sh (issue 18) is missing: no images to deploy"
    env_file="$cache/images/images.env"
    if [[ "${TWIST_REHEARSAL_REUSE_IMAGES:-0}" != 1 || ! -f "$env_file" ]]; then
      bash scripts/images/build.sh --export "$cache/images" >&2 || die "scripts/images/build.sh --export"
    fi
  fi
  [[ -f "$env_file" ]] || die "no images.env ($env_file)"
  log "images from $env_file"
  local -A img=()
  local k v
  while IFS='=' read -r k v; do [[ "$k" =~ ^[A-Z_]+$ ]] && img[$k]="$v"; done <"$env_file"
  local tars_dir; tars_dir="$(dirname "$env_file")"
  tar_of() { # role -> archive path (images.env: ROLE=ref, ROLE_TAR=file)
    local t="${img[${1}_TAR]:-}"
    [[ -n "$t" ]] || die "images.env has no ${1}_TAR"
    [[ "$t" == /* ]] || t="$tars_dir/$t"
    echo "$t"
  }

  local d
  d="$(import_as "$(tar_of AUTH_IMAGE)" "$images_registry/twist-auth-service:build-1")"; AUTH_1="$images_registry/twist-auth-service@$d"
  d="$(import_as "$(tar_of API_IMAGE)" "$images_registry/twist-influencer-api:build-1")"; API_1="$images_registry/twist-influencer-api@$d"
  d="$(import_as "$(tar_of AUTH_IMAGE_UPGRADE)" "$images_registry/twist-auth-service:build-2")"; AUTH_2="$images_registry/twist-auth-service@$d"
  d="$(import_as "$(tar_of API_IMAGE_UPGRADE)" "$images_registry/twist-influencer-api:build-2")"; API_2="$images_registry/twist-influencer-api@$d"
  d="$(derived "$(tar_of AUTH_IMAGE)" "$images_registry/twist-auth-service:never-ready" \
    --label twist.ci.build=never-ready --entrypoint '["sleep", "infinity"]')"
  AUTH_BAD="$images_registry/twist-auth-service@$d"

  import_as "$(tar_of POSTGRES_IMAGE)" "$(chart_image twist-data postgresql.image)" >/dev/null
  import_as "$(tar_of REDIS_IMAGE)" "$(chart_image twist-data redis.image)" >/dev/null
  import_as "$(tar_of JDK_IMAGE)" "$(chart_image twist tests.jwtRoundTrip.image)" >/dev/null
  # the tunnel is off here: cloudflared never runs, so no image is made for it (the crane stand-in
  # answers its digest as "not used", see scripts/rehearsal/bin/crane)
  export REHEARSAL_UNUSED_IMAGES
  REHEARSAL_UNUSED_IMAGES="$(full_name "$(chart_image twist tunnel.image)")"
  if [[ -x "$cache/rclone/$RCLONE_VERSION/rclone" ]]; then
    # the S3 server of step 5 serves https (the chart accepts only https endpoints, as R2 is) with
    # a certificate of its own CA, which this image trusts (SSL_CERT_FILE, read by Go's TLS)
    s3_ca="$cache/rehearsal-s3"
    if [[ ! -s "$s3_ca/ca.crt" ]]; then
      mkdir -p "$s3_ca" && chmod 700 "$s3_ca"
      openssl req -x509 -newkey rsa:2048 -nodes -keyout "$s3_ca/ca.key" -out "$s3_ca/ca.crt" -days 3650 \
        -subj "/CN=twist-rehearsal-s3-ca" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
    fi
    derived "$(tar_of REDIS_IMAGE)" "$(chart_image twist-data backup.image)" \
      --add "$cache/rclone/$RCLONE_VERSION/rclone:/usr/local/bin/rclone" \
      --add "$s3_ca/ca.crt:/etc/twist-rehearsal/s3-ca.crt" --env SSL_CERT_FILE=/etc/twist-rehearsal/s3-ca.crt >/dev/null
  elif [[ "${TWIST_REHEARSAL_UNTIL:-7}" -lt 5 ]]; then
    log "no rclone yet: the backup image is not made (steps before 5 only)"
    REHEARSAL_UNUSED_IMAGES+=" $(full_name "$(chart_image twist-data backup.image)")"
  else
    die "rclone $RCLONE_VERSION is not built (scripts/cluster/build-k8s.sh)"
  fi
  log "images: build 1 $AUTH_1 $API_1; build 2 ${AUTH_2##*@} ${API_2##*@}; never-ready ${AUTH_BAD##*@}"
}

# images_generate_key: AUTH_JWT_KEYS as README step 5 says ("docker run --rm <auth image>
# generate-key k1"), as a one-off pod of the auth image in the default namespace
images_generate_key() {
  local pod="generate-key-$$"
  admin_kubectl run "$pod" --restart=Never --image="$AUTH_1" --image-pull-policy=IfNotPresent -- generate-key k1 >/dev/null
  admin_kubectl wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" --timeout=120s >/dev/null \
    || { admin_kubectl logs "$pod" >&2 || true; die "generate-key"; }
  admin_kubectl logs "$pod" | grep '^{' | tail -n1
  admin_kubectl delete pod "$pod" --wait=false >/dev/null
}

# images_expect AUTH_REF API_REF: the Deployments and every running, non-terminating pod run these
images_expect() {
  local want_auth="$1" want_api="$2" got
  got="$(kubectl -n "$ns" get deployments -o jsonpath='{range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image}{"\n"}{end}')"
  grep -q "^twist-auth-service=${want_auth%@*}[:@].*${want_auth##*@}\$" <<<"$got" || die "auth-service Deployment is not at $want_auth: $got"
  grep -q "^twist-influencer-api=${want_api%@*}[:@].*${want_api##*@}\$" <<<"$got" || die "influencer-api Deployment is not at $want_api: $got"
  log "running: auth ${want_auth##*@}, api ${want_api##*@}"
}
