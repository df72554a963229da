#!/usr/bin/env bash
# A Docker engine of our own, for machines without one (no systemd, no registry): Debian's
# dockerd started by hand, and stopped by its pid. On GitHub Actions the runner's engine is used
# and this script is not needed.
#
#   scripts/images/dockerd.sh install   apt packages docker.io, containerd, runc, iptables (root)
#   scripts/images/dockerd.sh start     start dockerd unless ours already runs; prints
#                                       "export DOCKER_HOST=..." (eval it, or source env)
#   scripts/images/dockerd.sh stop      stop our dockerd by its pid, remove the iptables chains
#                                       and rules it added and restore the FORWARD policy
#   scripts/images/dockerd.sh status    exit 0 when our dockerd runs (and print its pid)
#   scripts/images/dockerd.sh env       print the export line only
#
# State: data-root under $TWIST_CACHE/docker (default ~/.cache/twist/docker), so images and
# the build cache survive while the daemon is stopped and a fresh clone is warm; sockets and
# pid under /run/twist-docker. The socket is not the default one, so nothing else on the
# machine talks to this engine by accident (Testcontainers included).
set -euo pipefail

cache="${TWIST_CACHE:-$HOME/.cache/twist}"
data_root="${TWIST_DOCKER_DATA_ROOT:-$cache/docker}"
exec_root="${TWIST_DOCKER_EXEC_ROOT:-/run/twist-docker}"
sock="$exec_root/docker.sock"
pidfile="$exec_root/dockerd.pid"
log="$cache/dockerd.log"
host="unix://$sock"

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

install() {
  # shellcheck source=bin/lib/tools.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../../bin/lib/tools.sh"
  tools_apt dockerd=docker.io containerd=containerd runc=runc iptables=iptables || exit 1
}

start() {
  mkdir -p "$cache" "$data_root" "$exec_root"
  if running; then echo "export DOCKER_HOST=$host"; return 0; fi
  install
  # What dockerd changes and does not undo: remember it once, for stop
  iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}' >"$exec_root/forward-policy.before"
  echo "dockerd.sh: starting dockerd (data-root $data_root, log $log)" >&2
  # setsid: its own session, so a Ctrl-C in the caller's terminal does not reach it
  setsid dockerd --host "$host" --data-root "$data_root" --exec-root "$exec_root/exec" \
    --pidfile "$pidfile" --exec-opt native.cgroupdriver=cgroupfs \
    --log-level warn >>"$log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    if DOCKER_HOST="$host" docker version >/dev/null 2>&1; then
      echo "dockerd.sh: dockerd $(cat "$pidfile") answers after $((i / 2))s" >&2
      echo "export DOCKER_HOST=$host"
      return 0
    fi
    sleep 0.5
  done
  echo "dockerd.sh: dockerd did not answer in 30 s; last log lines:" >&2
  tail -20 "$log" >&2
  exit 1
}

stop() {
  if running; then
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "dockerd.sh: dockerd $pid still running after 30 s" >&2; exit 1; fi
    echo "dockerd.sh: dockerd $pid stopped" >&2
  fi
  clean_iptables
}

# Removes exactly what dockerd added: rules that jump to or mention its chains or bridges, then
# the DOCKER* chains; the FORWARD policy goes back to what it was before start. Rules other
# programs added (a Kubernetes on the same machine) are left alone. net.ipv4.ip_forward, which
# dockerd turns on, is left on: a cluster started meanwhile on this machine may rely on it.
clean_iptables() {
  command -v iptables >/dev/null || return 0
  # another engine on this machine (a system dockerd) owns the same chains: leave them
  if pgrep -x dockerd >/dev/null; then
    echo "dockerd.sh: another dockerd runs; its iptables chains are left alone" >&2
    return 0
  fi
  local table rule chain
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | grep '^-A ' | grep -E 'DOCKER|docker0|-i br-|-o br-' \
      | while read -r rule; do
        # shellcheck disable=SC2086 # the rule is re-split into its words on purpose
        iptables -t "$table" ${rule/-A/-D} 2>/dev/null || true
      done
    iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}' | while read -r chain; do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}' | while read -r chain; do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  local before="$exec_root/forward-policy.before"
  if [[ -s "$before" ]]; then iptables -P FORWARD "$(cat "$before")"; rm -f "$before"; fi
  # user-defined networks' bridges go with their networks; remove any left by a killed daemon
  ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^(docker0|br-[0-9a-f]{12})/ {print $2}' \
    | while read -r br; do ip link delete "${br%@*}" 2>/dev/null || true; done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) running && cat "$pidfile" ;;
  env) echo "export DOCKER_HOST=$host" ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
