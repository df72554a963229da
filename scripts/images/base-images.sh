#!/usr/bin/env bash
# Local equivalents of the official base images, for machines where no image registry can be
# reached: each is built FROM a Debian root filesystem made with debootstrap (--variant=minbase)
# and Debian's own packages. Differences from the official images: docs/images.md.
#
#   scripts/images/base-images.sh          build what is missing; print the overrides to export:
#       BUILD_IMAGE     twist-local/jdk:21      for SERVICE_BUILD_IMAGE of versions.env (build stage)
#       RUNTIME_IMAGE   twist-local/jre:21      for SERVICE_RUNTIME_IMAGE of versions.env (runtime stage)
#       POSTGRES_IMAGE  twist-local/postgres:17 for POSTGRES_IMAGE of versions.env
#       REDIS_IMAGE     twist-local/redis:7     for REDIS_IMAGE of versions.env
#       JDK_IMAGE       twist-local/jdk:21      for versions.env's JDK_TEST_IMAGE (the chart's helm test)
#
# Needs DOCKER_HOST pointing at a running engine (scripts/images/dockerd.sh start). The root
# filesystems are cached as tarballs in $TWIST_CACHE/rootfs (default ~/.cache/twist), so
# debootstrap runs once per machine; an image is rebuilt only when its Dockerfile changed (label
# twist.base.hash).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bin/lib/tools.sh
source "$here/../../bin/lib/tools.sh"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
mirror="${TWIST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { echo "base-images: $*" >&2; }

# rootfs SUITE: the imported debootstrap tarball as twist-local/debian:SUITE
rootfs() {
  local suite="$1" tar="$cache/rootfs/$1-minbase.tar" dir
  docker image inspect "twist-local/debian:$suite" >/dev/null 2>&1 && return 0
  if [[ ! -s "$tar" ]]; then
    tools_apt debootstrap=debootstrap || exit 1
    mkdir -p "$cache/rootfs"
    dir="$(mktemp -d)"
    log "debootstrap --variant=minbase $suite (once per machine, ~2 min)"
    debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$cache/rootfs/$suite.log" 2>&1 \
      || { tail -20 "$cache/rootfs/$suite.log" >&2; rm -rf "$dir"; exit 1; }
    # as the official Debian images: no services started by package scripts during builds
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -c . >"$tar.part"
    mv "$tar.part" "$tar"
    rm -rf "$dir"
  fi
  log "importing $tar as twist-local/debian:$suite"
  docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' "$tar" "twist-local/debian:$suite" >/dev/null
}

# image NAME DOCKERFILE SUITE: build NAME from base/DOCKERFILE on twist-local/debian:SUITE
image() {
  local name="$1" file="$2" suite="$3" hash
  hash="$(cat "$here/base/$file" "$here/base/postgres-entrypoint.sh" "$context"/local-ca/* 2>/dev/null | sha256sum | cut -c1-16)-$suite"
  if [[ "$(docker image inspect -f '{{index .Config.Labels "twist.base.hash"}}' "$name" 2>/dev/null)" == "$hash" ]]; then
    return 0
  fi
  rootfs "$suite"
  log "building $name ($file on Debian $suite)"
  # the classic builder: these files need no BuildKit feature, and it needs no buildx plugin
  DOCKER_BUILDKIT=0 docker build -q --label "twist.base.hash=$hash" \
    --build-arg "BASE_IMAGE=twist-local/debian:$suite" -f "$context/$file" -t "$name" "$context" >/dev/null
}

# the build context: the Dockerfiles plus the CAs this machine trusts beyond Debian's own
# (/usr/local/share/ca-certificates, e.g. a TLS-inspecting egress proxy's), without which Maven
# in the build stage cannot reach Maven Central from inside a container
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$here"/base/* "$context/"
mkdir -p "$context/local-ca"
find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/local-ca/" \; 2>/dev/null || true

image twist-local/jdk:21 jdk21.Dockerfile trixie
image twist-local/jre:21 jre21.Dockerfile trixie
image twist-local/postgres:17 postgres17.Dockerfile trixie
# Redis 7: bookworm's package (trixie has Redis 8)
image twist-local/redis:7 redis7.Dockerfile bookworm
# earlier builds of these, replaced above
docker image prune -f --filter label=twist.base.hash >/dev/null

cat <<ENV
export BUILD_IMAGE=twist-local/jdk:21
export RUNTIME_IMAGE=twist-local/jre:21
export POSTGRES_IMAGE=twist-local/postgres:17
export REDIS_IMAGE=twist-local/redis:7
export JDK_IMAGE=twist-local/jdk:21
ENV
