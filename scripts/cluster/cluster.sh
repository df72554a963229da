#!/usr/bin/env bash
# The rehearsal's cluster, one interface for both places it runs:
#   - here (no image registry, no systemd): the Kubernetes components built from the Go module
#     proxy at KUBERNETES_VERSION (scripts/cluster/build-k8s.sh, scripts/cluster/local.sh);
#   - GitHub Actions (GITHUB_ACTIONS=true, images can be pulled): k3s in Docker at K3S_IMAGE
#     (scripts/github/k3s-ci.sh), plus sshd on 127.0.0.1 (scripts/cluster/local.sh sshd-up). Not run here: untested.
#
#   scripts/cluster/cluster.sh build          build/cache the components (here); nothing on GitHub
#   scripts/cluster/cluster.sh up             start; prints the admin kubeconfig path (last line)
#   scripts/cluster/cluster.sh import TAR...  images into the cluster's containerd
#   scripts/cluster/cluster.sh ctr ARGS...    ctr (namespace k8s.io) of that containerd
#   scripts/cluster/cluster.sh ssh-host-key   path of "the VM's" SSH host public key
#   scripts/cluster/cluster.sh ssh-port       port of "the VM's" sshd on 127.0.0.1
#   scripts/cluster/cluster.sh dump           cluster state and logs of failing pods
#   scripts/cluster/cluster.sh down           stop everything it started
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cmd="${1:?usage: cluster.sh build|up|import|ctr|ssh-host-key|ssh-port|dump|down}"
shift

if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
  # shellcheck source=versions.env
  source "$repo/versions.env"
  export K3S_IMAGE
  case "$cmd" in
    build) : ;;
    up)
      # shellcheck source=bin/lib/tools.sh
      source "$repo/bin/lib/tools.sh"
      tools_apt sshd=openssh-server
      bash "$repo/scripts/github/k3s-ci.sh" up >&2
      bash "$here/local.sh" sshd-up >&2
      echo "${RUNNER_TEMP:-/tmp}/twist-k3s/kubeconfig"
      ;;
    import) for tar in "$@"; do docker exec -i twist-k3s ctr -n k8s.io images import - <"$tar"; done ;;
    ctr) docker exec -i twist-k3s ctr -n k8s.io "$@" ;;
    ssh-host-key) echo "${TWIST_K8S_STATE:-/var/lib/twist-k8s}/ssh/ssh_host_ed25519_key.pub" ;;
    ssh-port) echo "${TWIST_SSH_PORT:-2222}" ;;
    dump) bash "$repo/scripts/github/k3s-ci.sh" dump ;;
    down) bash "$here/local.sh" sshd-down; bash "$repo/scripts/github/k3s-ci.sh" down ;;
    *) echo "unknown command $cmd" >&2; exit 2 ;;
  esac
  exit 0
fi

case "$cmd" in
  build) bash "$here/build-k8s.sh" >&2 ;;
  up) bash "$here/local.sh" up ;;
  import) bash "$here/local.sh" import "$@" ;;
  ctr) bash "$here/local.sh" ctr "$@" ;;
  ssh-host-key) echo "${TWIST_K8S_STATE:-/var/lib/twist-k8s}/ssh/ssh_host_ed25519_key.pub" ;;
  ssh-port) echo "${TWIST_SSH_PORT:-2222}" ;;
  dump) bash "$here/local.sh" dump ;;
  down) bash "$here/local.sh" down ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
