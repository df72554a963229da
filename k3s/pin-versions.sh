#!/usr/bin/env bash
# Fills the SHA256 pins of k3s and Helm (K3S_SHA256_*, HELM_SHA256_*) in versions.env at the
# repository root from the checksum files that k3s and Helm publish with each release. Run it on a
# workstation with internet access after changing K3S_VERSION or HELM_VERSION, then review and
# commit the diff:   bash k3s/pin-versions.sh && git diff versions.env
set -euo pipefail

env_file="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/versions.env"
# shellcheck source=versions.env
source "$env_file"

set_pin() { # KEY VALUE
  [[ "$2" =~ ^[a-f0-9]{64}$ ]] || { echo "bad checksum for $1: '$2'" >&2; exit 1; }
  sed -i -E "s/^$1=.*/$1=$2/" "$env_file"
  echo "$1=$2"
}

k3s_url="https://github.com/k3s-io/k3s/releases/download/${K3S_VERSION//+/%2B}"
for arch in arm64 amd64; do
  binary="k3s"; [[ "$arch" == amd64 ]] || binary="k3s-$arch"
  sum="$(curl -fsSL "$k3s_url/sha256sum-$arch.txt" | awk -v f="$binary" '$2 == f {print $1}')"
  set_pin "K3S_SHA256_${arch^^}" "$sum"
  sum="$(curl -fsSL "https://get.helm.sh/helm-$HELM_VERSION-linux-$arch.tar.gz.sha256sum" | awk '{print $1}')"
  set_pin "HELM_SHA256_${arch^^}" "$sum"
done
