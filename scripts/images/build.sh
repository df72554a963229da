#!/usr/bin/env bash
# Builds the two service images from services/Dockerfile and, with --export, saves them and the
# third-party images the charts need as `docker save` tarballs for a cluster that cannot pull
# (the Kubernetes rehearsal imports them into its containerd: ctr -n k8s.io images import).
#
#   scripts/images/build.sh --export DIR   (default DIR: $TWIST_CACHE/images = ~/.cache/twist/images)
#
# Writes DIR/<name>.tar per image and DIR/images.env (role=image reference, KEY=value lines):
#   AUTH_IMAGE, API_IMAGE                    twist/<service>:rehearsal-1
#   AUTH_IMAGE_UPGRADE, API_IMAGE_UPGRADE    twist/<service>:rehearsal-2, a second build with
#                                            another REVISION label, so another image id (upgrades)
#   POSTGRES_IMAGE, REDIS_IMAGE, JDK_IMAGE   the base images (local equivalents here; JDK_IMAGE
#                                            runs the chart's helm test, a single-source Java file)
#   <KEY>_ID                                 each image's id (sha256 of its config)
# Starts its own dockerd when none of ours runs (and stops it afterwards); on GitHub Actions
# the runner's engine and the official base images are used.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
here="$repo/scripts/images"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"

[[ "${1:-}" == --export ]] || { sed -n '2,18p' "$0"; exit 2; }
out="${2:-$cache/images}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

started=0
work="$(mktemp -d)"
cleanup() { rm -rf "$work"; if [[ $started -eq 1 ]]; then bash "$here/dockerd.sh" stop; fi; }
trap cleanup EXIT
if [[ "${GITHUB_ACTIONS:-}" != true ]]; then
  if ! bash "$here/dockerd.sh" status >/dev/null 2>&1; then started=1; fi
  eval "$(bash "$here/dockerd.sh" start)"
  mkdir -p "$work/bin" && ln -s /usr/bin/docker "$work/bin/docker"
  export PATH="$work/bin:$PATH" DOCKER_BUILDKIT=1
  eval "$(bash "$here/base-images.sh")"
else
  # the third-party images the charts run, as versions.env names them
  JDK_IMAGE="$(sed -n 's/^JDK_TEST_IMAGE=//p' "$here/../../versions.env")"
  POSTGRES_IMAGE="$(sed -n 's/^POSTGRES_IMAGE=//p' "$here/../../versions.env")"
  REDIS_IMAGE="$(sed -n 's/^REDIS_IMAGE=//p' "$here/../../versions.env")"
  export JDK_IMAGE POSTGRES_IMAGE REDIS_IMAGE
  for image in "$JDK_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE"; do docker pull -q "$image" >/dev/null; done
fi

declare -A refs
build() { # service port revision tag
  local args=(-f services/Dockerfile --build-arg "SERVICE=$1" --build-arg "PORT=$2" --build-arg "REVISION=$3")
  [[ -n "${BUILD_IMAGE:-}" ]] && args+=(--build-arg "BUILD_IMAGE=$BUILD_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
  docker build -q "${args[@]}" -t "twist/$1:$4" . >/dev/null
}
for n in 1 2; do
  build auth-service 3001 "rehearsal-$n" "rehearsal-$n"
  build influencer-api 3003 "rehearsal-$n" "rehearsal-$n"
done
refs=([AUTH_IMAGE]=twist/auth-service:rehearsal-1 [AUTH_IMAGE_UPGRADE]=twist/auth-service:rehearsal-2
  [API_IMAGE]=twist/influencer-api:rehearsal-1 [API_IMAGE_UPGRADE]=twist/influencer-api:rehearsal-2
  [POSTGRES_IMAGE]="$POSTGRES_IMAGE" [REDIS_IMAGE]="$REDIS_IMAGE" [JDK_IMAGE]="$JDK_IMAGE")

{
  echo "# written by scripts/images/build.sh --export on $(date -u +%FT%TZ); docker save tarballs beside it"
  for key in AUTH_IMAGE AUTH_IMAGE_UPGRADE API_IMAGE API_IMAGE_UPGRADE POSTGRES_IMAGE REDIS_IMAGE JDK_IMAGE; do
    ref="${refs[$key]}"
    file="$(echo "$ref" | tr '/:' '__').tar"
    id="$(docker image inspect -f '{{.Id}}' "$ref")"
    # the archive of the last export is kept when it holds this very image (same id): a warm
    # run saves (and the cluster imports) only what changed
    if [[ ! -s "$out/$file" || "$(sed -n "s/^${key}_ID=//p" "$out/images.env" 2>/dev/null)" != "$id" ]]; then
      docker save -o "$out/$file.part" "$ref" && chmod 644 "$out/$file.part" && mv "$out/$file.part" "$out/$file"
    fi
    echo "$key=$ref"
    echo "${key}_ID=$id"
    echo "${key}_TAR=$file"
  done
} >"$out/images.env.part"
mv "$out/images.env.part" "$out/images.env"
[[ "$(sed -n 's/^AUTH_IMAGE_ID=//p' "$out/images.env")" != "$(sed -n 's/^AUTH_IMAGE_UPGRADE_ID=//p' "$out/images.env")" ]] \
  || { echo "build.sh: the two auth-service builds have the same id" >&2; exit 1; }
echo "build.sh: exported to $out:" >&2
cat "$out/images.env" >&2
