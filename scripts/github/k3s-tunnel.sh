#!/usr/bin/env bash
# Opens (or closes) an SSH tunnel from the runner to the VM's k3s API and writes the kubeconfig.
#   scripts/github/k3s-tunnel.sh open     # then KUBECONFIG=$RUNNER_TEMP/twist-kubeconfig
#   scripts/github/k3s-tunnel.sh close
# Environment (GitHub Environment secrets/variables, passed through env:, never interpolated):
#   VM_SSH_HOST, VM_SSH_USER, VM_SSH_PORT (default 22)  where the VM answers SSH
#   VM_SSH_PRIVATE_KEY    the deploy user's private key (no passphrase; only port forwarding)
#   VM_SSH_KNOWN_HOSTS    the VM's host key line(s), pinned: never ssh-keyscan (trust on first use)
#   KUBE_CONFIG           kubeconfig of the environment's deploy service account, server
#                         https://127.0.0.1:16443 (the local end of this tunnel)
#   K3S_API_LOCAL_PORT    default 16443
set -euo pipefail

cmd="${1:?usage: k3s-tunnel.sh open|close}"
tmp="${RUNNER_TEMP:-/tmp}"
sshdir="$tmp/twist-ssh"
sock="$sshdir/control.sock"
port="${K3S_API_LOCAL_PORT:-16443}"

case "$cmd" in
  open)
    : "${VM_SSH_HOST:?VM_SSH_HOST is not set}" "${VM_SSH_USER:?VM_SSH_USER is not set}"
    : "${VM_SSH_PRIVATE_KEY:?VM_SSH_PRIVATE_KEY is not set}"
    : "${VM_SSH_KNOWN_HOSTS:?VM_SSH_KNOWN_HOSTS is not set (the pinned host key line)}"
    : "${KUBE_CONFIG:?KUBE_CONFIG is not set}"
    install -d -m 700 "$sshdir"
    umask 077
    printf '%s\n' "$VM_SSH_PRIVATE_KEY" >"$sshdir/id"
    printf '%s\n' "$VM_SSH_KNOWN_HOSTS" >"$sshdir/known_hosts"
    printf '%s\n' "$KUBE_CONFIG" >"$tmp/twist-kubeconfig"
    # StrictHostKeyChecking=yes with only the pinned known_hosts: an unknown or changed host
    # key stops the deploy instead of being trusted.
    ssh -f -N -M -S "$sock" \
      -i "$sshdir/id" -p "${VM_SSH_PORT:-22}" \
      -o IdentitiesOnly=yes -o BatchMode=yes \
      -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$sshdir/known_hosts" \
      -o GlobalKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
      -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
      -L "127.0.0.1:$port:127.0.0.1:6443" \
      "$VM_SSH_USER@$VM_SSH_HOST"
    for _ in $(seq 1 20); do
      if KUBECONFIG="$tmp/twist-kubeconfig" kubectl version --request-timeout=5s >/dev/null 2>&1; then
        echo "k3s-tunnel: API reachable on 127.0.0.1:$port"
        [[ -n "${GITHUB_ENV:-}" ]] && echo "KUBECONFIG=$tmp/twist-kubeconfig" >>"$GITHUB_ENV"
        exit 0
      fi
      sleep 2
    done
    echo "k3s-tunnel: tunnel is up but the k3s API does not answer" >&2
    exit 1
    ;;
  close)
    if [[ -S "$sock" ]]; then
      ssh -S "$sock" -O exit "${VM_SSH_USER:-deploy}@${VM_SSH_HOST:-vm}" 2>/dev/null || true
    fi
    rm -rf "$sshdir" "$tmp/twist-kubeconfig"
    ;;
  *)
    echo "usage: k3s-tunnel.sh open|close" >&2
    exit 2
    ;;
esac
