#!/usr/bin/env bash
# The VM_SSH_KNOWN_HOSTS command of k3s/README.md (step 1), run as written against a real OpenSSH
# sshd on 127.0.0.1 on a port other than 22 (Debian's openssh-server, started by pid with its own
# config and host key in a temporary directory, stopped at the end). Then CI's own tunnel script,
# scripts/github/k3s-tunnel.sh, must accept the host with only that line pinned, and must refuse
# a fingerprint or a line that names the host another way. One "PASS name" / "FAIL name" line per check.
#   bash charts/tests/test_ssh_known_hosts.sh <repo root>
# The command is extracted from the README (the fenced block after the "known-hosts-command"
# marker), so the doc cannot drift from what is tested.
set -uo pipefail

repo="$1"
sshd=/usr/sbin/sshd
# Debian's package; its postinst does not start a daemon where policy-rc.d forbids it, and the
# system sshd (if any) is never used here: this test starts its own by pid.
# shellcheck source=bin/lib/tools.sh
source "$repo/bin/lib/tools.sh"
tools_apt "$sshd=openssh-server" >/dev/null 2>&1
if [[ ! -x "$sshd" ]]; then
  echo "FAIL known_hosts: no $sshd (apt-get install openssh-server)"
  exit 1
fi

tmp="$(mktemp -d)"
sshd_pid=""
cleanup() {
  if [[ -n "$sshd_pid" ]]; then kill "$sshd_pid" 2>/dev/null; wait "$sshd_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 "$repo/bin/lib/free_port.py"; }
port="$(free_port)"
api_port="$(free_port)"
user="$(id -un)"

ssh-keygen -q -t ed25519 -N '' -C test-host -f "$tmp/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C test-deploy -f "$tmp/deploy"
cp "$tmp/deploy.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
cat >"$tmp/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/host_ed25519
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding local
PermitOpen 127.0.0.1:6443
CONF
# sshd running as root needs its privilege-separation directory
[[ "$(id -u)" -ne 0 ]] || install -d -m 755 /run/sshd
"$sshd" -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
sshd_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# The documented block, verbatim: from the marker to the end of the following fenced block.
block="$(awk '/<!-- known-hosts-command/ {m=1; next} m && /^```bash$/ {b=1; next} b && /^```$/ {exit} b {print}' "$repo/k3s/README.md")"
name="known_hosts: the README has the command block"
if [[ "$block" == *ssh-keyscan* ]]; then echo "PASS $name"; else echo "FAIL $name: '$block'"; fi

mkdir -p "$tmp/operator"
out="$(cd "$tmp/operator" && VM=127.0.0.1 VM_SSH_PORT="$port" bash -euo pipefail -c "$block" 2>&1)"
line="$(cat "$tmp/operator/vm-known-hosts" 2>/dev/null)"
name="known_hosts: the documented command writes one [127.0.0.1]:$port ssh-ed25519 line"
if [[ "$(grep -c . <<<"$line")" -eq 1 && "$line" == "[127.0.0.1]:$port ssh-ed25519 "* ]]; then
  echo "PASS $name"
else
  echo "FAIL $name: '$line' / $out"; sed 's/^/    sshd: /' "$tmp/sshd.log"
fi
name="known_hosts: the documented command prints the fingerprint the VM console shows"
console_fp="$(ssh-keygen -lf "$tmp/host_ed25519.pub" | awk '{print $2}')"
if [[ -n "$console_fp" && "$out" == *"$console_fp"* ]]; then echo "PASS $name"; else echo "FAIL $name: $out"; fi

# CI's tunnel script with that line pinned. kubectl is a stand-in: it only checks that the
# tunnel's local end accepts connections (the ssh -L listener); there is no k3s API here.
mkdir -p "$tmp/bin" "$tmp/runner"
cat >"$tmp/bin/kubectl" <<'STUB'
#!/usr/bin/env bash
# stand-in for `kubectl version`: the forwarded local port is open (ssh -L is listening)
exec 3<>"/dev/tcp/127.0.0.1/${K3S_API_LOCAL_PORT:?}"
STUB
chmod +x "$tmp/bin/kubectl"
tunnel() { # known_hosts content
  env PATH="$tmp/bin:$PATH" RUNNER_TEMP="$tmp/runner" K3S_API_LOCAL_PORT="$api_port" \
    VM_SSH_HOST=127.0.0.1 VM_SSH_PORT="$port" VM_SSH_USER="$user" \
    VM_SSH_PRIVATE_KEY="$(cat "$tmp/deploy")" VM_SSH_KNOWN_HOSTS="$1" \
    KUBE_CONFIG="apiVersion: v1" GITHUB_ENV="" \
    bash "$repo/scripts/github/k3s-tunnel.sh" open
}
close_tunnel() {
  env RUNNER_TEMP="$tmp/runner" VM_SSH_HOST=127.0.0.1 VM_SSH_USER="$user" \
    bash "$repo/scripts/github/k3s-tunnel.sh" close >/dev/null 2>&1
}
name="known_hosts: scripts/github/k3s-tunnel.sh (StrictHostKeyChecking=yes) accepts the host with that line"
if msg="$(tunnel "$line" 2>&1)" && [[ "$msg" == *"API reachable"* ]]; then echo "PASS $name"; else echo "FAIL $name: $msg"; fi
close_tunnel
# OpenSSH 9.2 falls back to a line without the port ("checking without port identifier"), but
# never to another spelling of the host: a line for the VM's DNS name does not pin its address.
name="known_hosts: the tunnel refuses a line that names the host differently from VM_SSH_HOST"
if msg="$(tunnel "vm.twist.finance ${line#* }" 2>&1)"; then
  echo "FAIL $name (accepted)"
elif [[ "$msg" == *"Host key verification failed"* ]]; then
  echo "PASS $name"
else
  echo "FAIL $name (failed for another reason): $msg"
fi
close_tunnel
name="known_hosts: the tunnel refuses a fingerprint in place of the line"
if msg="$(tunnel "$(ssh-keygen -lf "$tmp/host_ed25519.pub")" 2>&1)"; then
  echo "FAIL $name (accepted)"
elif [[ "$msg" == *"Host key verification failed"* ]]; then
  echo "PASS $name"
else
  echo "FAIL $name (failed for another reason): $msg"
fi
close_tunnel
