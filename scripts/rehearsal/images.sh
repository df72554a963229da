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

# import_as TAR NAME: import an archive (its one image) and tag it NAME; prints NAME's digest.
# An image whose config (its id) the store already holds is only tagged: an import costs about
# a minute per archive on a busy machine, a warm run imports nothing.
import_as() {
  local tar="$1" name before id
  name="$(full_name "$2")"
  read -r before id < <(python3 -c '
import json, os, sys, tarfile
m = json.load(tarfile.open(sys.argv[1]).extractfile("manifest.json"))[0]
print(m["RepoTags"][0], "sha256:" + os.path.basename(m["Config"]).removesuffix(".json"))' "$tar")
  if ctr_images ls -q | grep -qx "$id"; then
    ctr_images tag --force "$id" "$name" >/dev/null
  else
    bash scripts/cluster/cluster.sh import "$tar" >&2
    [[ "$(full_name "$before")" == "$name" ]] || ctr_images tag --force "$(full_name "$before")" "$name" >/dev/null
  fi
  digest_of "$name"
}

images_prepare() {
  local dir="$1" env_file
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
  python3 scripts/rehearsal/image-tool.py "$(tar_of AUTH_IMAGE)" "$dir/auth-bad.tar" twist-rehearsal/auth:never-ready \
    --label twist.ci.build=never-ready --entrypoint '["sleep", "infinity"]' >/dev/null
  d="$(import_as "$dir/auth-bad.tar" "$images_registry/twist-auth-service:never-ready")"; AUTH_BAD="$images_registry/twist-auth-service@$d"
  rm -f "$dir"/*.tar

  import_as "$(tar_of POSTGRES_IMAGE)" "$(chart_image twist-data postgresql.image)" >/dev/null
  import_as "$(tar_of REDIS_IMAGE)" "$(chart_image twist-data redis.image)" >/dev/null
  import_as "$(tar_of JDK_IMAGE)" "$(chart_image twist tests.jwtRoundTrip.image)" >/dev/null
  python3 scripts/rehearsal/image-tool.py "$(tar_of REDIS_IMAGE)" "$dir/rclone.tar" twist-rehearsal/rclone:1 \
    --add "$cache/rclone/$RCLONE_VERSION/rclone:/usr/local/bin/rclone" >/dev/null
  import_as "$dir/rclone.tar" "$(chart_image twist-data backup.image)" >/dev/null
  rm -f "$dir/rclone.tar"
  # the tunnel is off here: cloudflared never runs, so no image is made for it (the crane stand-in
  # answers its digest as "not used", see scripts/rehearsal/bin/crane)
  export REHEARSAL_UNUSED_IMAGES
  REHEARSAL_UNUSED_IMAGES="$(full_name "$(chart_image twist tunnel.image)")"
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
