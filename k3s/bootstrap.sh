#!/usr/bin/env bash
# Prepares a fresh Ubuntu 24.04 VM (Oracle Cloud Always Free, Ampere A1 / arm64; amd64 works
# too) to run TWIST on k3s. Idempotent: every step checks before it changes anything, so it
# is also the upgrade path (change K3S_VERSION in versions.env at the repository root, run it again).
#
#   sudo bash k3s/bootstrap.sh --deploy-key /path/to/ci_deploy_key.pub [--ingress tunnel|traefik]
#
#   --deploy-key FILE   public SSH key(s) of CI's deploy user, one per line (one per
#                       environment); required on the first run, replaces the list when given
#   --ingress tunnel    (default) public traffic arrives through cloudflared; Traefik and the
#                       service load balancer are disabled; ports 80/443 stay closed
#   --ingress traefik   k3s's Traefik serves the API hosts; ports 80/443 are opened
#   --rotate-deployer-tokens   issue new 90-day tokens (kubeconfigs) for CI's deployer and the
#                       operator
#   --cluster-only      only the cluster part (namespaces, deployer Role and kubeconfigs) and the
#                       deploy user, against the cluster KUBECONFIG names with the kubectl on
#                       PATH; the VM part (packages, SSH, firewall, k3s, helm) is skipped. The
#                       rehearsal runs it on its own cluster (scripts/rehearsal/run.sh).
#
# Steps: packages + unattended security upgrades; SSH key-only; firewall (ufw: SSH, plus 80/443
# only with Traefik; Oracle's default REJECT rules replaced); k3s at the pinned version with
# checksum verification, API for localhost only; helm at the pinned version; namespaces
# twist-staging and twist-production (restricted Pod Security); the "deploy" user, who can only
# open an SSH tunnel to the API; one namespace-scoped deployer kubeconfig per environment at
# /root/twist/deployer-<env>.kubeconfig for CI, and one operator kubeconfig per environment at
# /root/twist/operator-<env>.kubeconfig for the person running the runbooks (the deployer's
# rights plus pods/exec, pods/portforward and pod metrics, which CI never needs).
# Log: /var/log/twist-bootstrap.log.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The repository's one file of versions: beside this script when copied to the VM with it
# (k3s/README.md step 3), else at the root of the checkout this script is in.
versions="$here/versions.env"
[[ -f "$versions" ]] || versions="$here/../versions.env"
[[ -f "$versions" ]] || { echo "versions.env not found beside $0 or at the repository root" >&2; exit 1; }
# shellcheck source=versions.env
source "$versions"

NAMESPACES=(twist-staging twist-production)
DEPLOY_USER=deploy
STATE_DIR="${TWIST_STATE_DIR:-/root/twist}"
POD_CIDR=10.42.0.0/16
SERVICE_CIDR=10.43.0.0/16
TUNNEL_LOCAL_PORT=16443   # CI's end of the SSH tunnel (scripts/github/k3s-tunnel.sh)

deploy_key="" ingress="tunnel" rotate_tokens=0 cluster_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deploy-key) deploy_key="$2"; shift 2 ;;
    --ingress) ingress="$2"; shift 2 ;;
    --rotate-deployer-tokens) rotate_tokens=1; shift ;;
    --cluster-only) cluster_only=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$ingress" == tunnel || "$ingress" == traefik ]] || { echo "--ingress must be tunnel or traefik" >&2; exit 2; }
[[ "$(id -u)" -eq 0 ]] || { echo "run as root (sudo)" >&2; exit 1; }
[[ -z "$deploy_key" || -r "$deploy_key" ]] || { echo "cannot read $deploy_key" >&2; exit 1; }

exec > >(tee -a /var/log/twist-bootstrap.log) 2>&1
step() { echo; echo "==> $*"; }

case "$(dpkg --print-architecture)" in
  arm64) arch=arm64; k3s_asset=k3s-arm64; k3s_pin="$K3S_SHA256_ARM64"; helm_pin="$HELM_SHA256_ARM64" ;;
  amd64) arch=amd64; k3s_asset=k3s; k3s_pin="$K3S_SHA256_AMD64"; helm_pin="$HELM_SHA256_AMD64" ;;
  *) echo "unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac
mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# verify FILE PIN CHECKSUM_URL NAME: the pinned sha256 when set, else the release's checksum file.
verify() {
  local file="$1" pin="$2" url="$3" name="$4" want
  if [[ -n "$pin" ]]; then
    want="$pin"
  else
    echo "WARNING: no pinned checksum for $name in $versions; using the release's checksum file (run k3s/pin-versions.sh)"
    want="$(curl -fsSL "$url" | awk -v f="$name" '$2 == f || $2 == "*"f {print $1}' | head -n 1)"
  fi
  [[ "$want" =~ ^[a-f0-9]{64}$ ]] || { echo "no checksum for $name" >&2; exit 1; }
  echo "$want  $file" | sha256sum -c --quiet - || { echo "CHECKSUM MISMATCH for $name" >&2; exit 1; }
  echo "checksum ok: $name $want"
}

# ---- the VM part (skipped with --cluster-only) ----
if [[ "$cluster_only" -eq 0 ]]; then
step "packages and unattended security upgrades"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends curl ca-certificates ufw unattended-upgrades apt-listchanges jq python3-yaml
cat >/etc/apt/apt.conf.d/20auto-upgrades <<'CONF'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
CONF
# Security updates only; no automatic reboot on a one-node cluster (see k3s/README.md,
# "Reboots": /var/run/reboot-required is checked weekly by the operator).
cat >/etc/apt/apt.conf.d/52twist-unattended-upgrades <<'CONF'
Unattended-Upgrade::Allowed-Origins { "${distro_id}:${distro_codename}-security"; "${distro_id}ESMApps:${distro_codename}-apps-security"; "${distro_id}ESM:${distro_codename}-infra-security"; };
Unattended-Upgrade::Automatic-Reboot "false";
Unattended-Upgrade::Remove-Unused-Dependencies "true";
CONF
systemctl enable --now unattended-upgrades.service >/dev/null

step "SSH: keys only, no root login"
cat >/etc/ssh/sshd_config.d/50-twist.conf <<'CONF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowTcpForwarding local
X11Forwarding no
CONF
sshd -t && systemctl try-reload-or-restart ssh

step "firewall (ufw): SSH$([[ "$ingress" == traefik ]] && echo ", HTTP, HTTPS")"
# Oracle's Ubuntu images ship iptables rules ending in REJECT (netfilter-persistent) that would
# also drop k3s's pod traffic; ufw owns the firewall from here on. Idempotent: only the
# Oracle rules are removed, and only while they exist.
if systemctl is-enabled --quiet netfilter-persistent 2>/dev/null; then
  systemctl disable --now netfilter-persistent >/dev/null 2>&1 || true
  [[ -f /etc/iptables/rules.v4 ]] && mv /etc/iptables/rules.v4 /etc/iptables/rules.v4.oracle-default
fi
for chain in INPUT FORWARD; do
  while iptables -C "$chain" -j REJECT --reject-with icmp-host-prohibited 2>/dev/null; do
    iptables -D "$chain" -j REJECT --reject-with icmp-host-prohibited
  done
done
ufw default deny incoming >/dev/null
ufw default allow outgoing >/dev/null
ufw default allow routed >/dev/null
ufw limit 22/tcp comment 'ssh' >/dev/null
# pods and services talk to each other and to the node (kubelet, API via the service IP)
ufw allow from "$POD_CIDR" comment 'k3s pods' >/dev/null
ufw allow from "$SERVICE_CIDR" comment 'k3s services' >/dev/null
if [[ "$ingress" == traefik ]]; then
  ufw allow 80/tcp comment 'traefik http' >/dev/null
  ufw allow 443/tcp comment 'traefik https' >/dev/null
else
  ufw delete allow 80/tcp >/dev/null 2>&1 || true
  ufw delete allow 443/tcp >/dev/null 2>&1 || true
fi
# 6443 (the Kubernetes API) is never opened: CI reaches it through an SSH tunnel.
ufw --force enable >/dev/null
ufw status verbose

step "k3s $K3S_VERSION"
installed="$(/usr/local/bin/k3s --version 2>/dev/null | awk 'NR==1 {print $3}' || true)"
mkdir -p /etc/rancher/k3s
config="$tmp/config.yaml"
{
  echo "# written by k3s/bootstrap.sh"
  echo 'write-kubeconfig-mode: "0600"'
  echo "tls-san: [127.0.0.1, localhost]"
  echo "secrets-encryption: true"
  echo "cluster-cidr: $POD_CIDR"
  echo "service-cidr: $SERVICE_CIDR"
  if [[ "$ingress" == tunnel ]]; then echo "disable: [traefik, servicelb]"; fi
} >"$config"
config_changed=0
cmp -s "$config" /etc/rancher/k3s/config.yaml || { install -m 0600 "$config" /etc/rancher/k3s/config.yaml; config_changed=1; }
if [[ "$installed" != "$K3S_VERSION" ]]; then
  base="https://github.com/k3s-io/k3s/releases/download/${K3S_VERSION//+/%2B}"
  curl -fsSL -o "$tmp/$k3s_asset" "$base/$k3s_asset"
  verify "$tmp/$k3s_asset" "$k3s_pin" "$base/sha256sum-$arch.txt" "$k3s_asset"
  install -m 0755 "$tmp/$k3s_asset" /usr/local/bin/k3s
  for tool in kubectl crictl ctr; do
    [[ -e "/usr/local/bin/$tool" ]] || ln -s /usr/local/bin/k3s "/usr/local/bin/$tool"
  done
  config_changed=1
else
  echo "k3s $K3S_VERSION already installed"
fi
cat >"$tmp/k3s.service" <<'UNIT'
[Unit]
Description=Lightweight Kubernetes (k3s, installed by twist k3s/bootstrap.sh)
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/k3s
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/k3s server

[Install]
WantedBy=multi-user.target
UNIT
if ! cmp -s "$tmp/k3s.service" /etc/systemd/system/k3s.service; then
  install -m 0644 "$tmp/k3s.service" /etc/systemd/system/k3s.service
  systemctl daemon-reload
  config_changed=1
fi
systemctl enable k3s >/dev/null
if [[ "$config_changed" -eq 1 ]] || ! systemctl is-active --quiet k3s; then
  systemctl restart k3s
fi
export KUBECONFIG=/etc/rancher/k3s/k3s.yaml
kubectl() { /usr/local/bin/k3s kubectl "$@"; }
for _ in $(seq 1 60); do kubectl get nodes >/dev/null 2>&1 && break; sleep 5; done
kubectl wait --for=condition=Ready node --all --timeout=300s
kubectl get nodes -o wide

step "helm $HELM_VERSION"
if [[ "$(helm version --short 2>/dev/null | cut -d+ -f1)" != "$HELM_VERSION" ]]; then
  tarball="helm-$HELM_VERSION-linux-$arch.tar.gz"
  curl -fsSL -o "$tmp/$tarball" "https://get.helm.sh/$tarball"
  verify "$tmp/$tarball" "$helm_pin" "https://get.helm.sh/$tarball.sha256sum" "$tarball"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  install -m 0755 "$tmp/linux-$arch/helm" /usr/local/bin/helm
fi
helm version --short
else
  kubectl() { command kubectl "$@"; }
fi
# ---- the cluster part ----

step "namespaces (restricted Pod Security), the namespace-scoped deployer (CI) and operator"
for ns in "${NAMESPACES[@]}"; do
  kubectl apply -f - <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: twist-deployer
  namespace: $ns
automountServiceAccountToken: false
---
# Everything helm upgrade / rollback / test of the twist and twist-data charts touch, in this
# namespace only. Secrets are included because Helm keeps its release records in Secrets.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: twist-deployer
  namespace: $ns
rules:
  - apiGroups: [""]
    resources: [configmaps, secrets, services, serviceaccounts, persistentvolumeclaims, pods]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [""]
    resources: [pods/log, events, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments, statefulsets, replicasets]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [apps]
    resources: [deployments/scale]
    verbs: [get, update, patch]
  - apiGroups: [batch]
    resources: [jobs, cronjobs]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies, ingresses]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [policy]
    resources: [poddisruptionbudgets]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [traefik.io]
    resources: [middlewares]
    verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: twist-deployer
  namespace: $ns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: twist-deployer
subjects:
  - kind: ServiceAccount
    name: twist-deployer
    namespace: $ns
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: twist-operator
  namespace: $ns
automountServiceAccountToken: false
---
# The person on call, from a workstation through the SSH tunnel (runbooks/README.md): what the
# deployer may do (helm rollback, rollout restart, scale, jobs) plus a shell and a port-forward
# into this namespace's pods and their metrics (kubectl exec / cp / port-forward / top pod), which
# the runbooks use. Kept out of CI's deployer on purpose: a leaked CI kubeconfig must not give a
# shell in the database pod. ci-checks/tests/test_runbook_rbac.py keeps the runbooks' kubectl
# commands within these rules.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: twist-operator
  namespace: $ns
rules:
  - apiGroups: [""]
    resources: [configmaps, secrets, services, serviceaccounts, persistentvolumeclaims, pods]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [""]
    resources: [pods/log, events, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [pods/exec, pods/portforward]
    verbs: [get, create]
  - apiGroups: [apps]
    resources: [deployments, statefulsets, replicasets]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [apps]
    resources: [deployments/scale, statefulsets/scale]
    verbs: [get, update, patch]
  - apiGroups: [batch]
    resources: [jobs, cronjobs]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies, ingresses]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [policy]
    resources: [poddisruptionbudgets]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [traefik.io]
    resources: [middlewares]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [metrics.k8s.io]
    resources: [pods]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: twist-operator
  namespace: $ns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: twist-operator
subjects:
  - kind: ServiceAccount
    name: twist-operator
    namespace: $ns
YAML
done

step "kubeconfigs ($STATE_DIR/deployer-<env>.kubeconfig for CI, operator-<env>.kubeconfig)"
# One deployer kubeconfig per environment (the KUBE_CONFIG secret of each GitHub Environment,
# docs/secrets.md) and one operator kubeconfig (runbooks/README.md): a 90-day token of
# twist-deployer / twist-operator in that namespace only, for the server at the local end of the
# SSH tunnel (127.0.0.1:16443 -> VM 127.0.0.1:6443). Kept while it exists; new tokens with
# --rotate-deployer-tokens (old ones expire on their own).
ca="$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
for ns in "${NAMESPACES[@]}"; do
  for role in deployer operator; do
    env="${ns#twist-}"
    out="$STATE_DIR/$role-$env.kubeconfig"
    if [[ -s "$out" && "$rotate_tokens" -eq 0 ]]; then
      echo "$out exists (rotate with --rotate-deployer-tokens)"
    else
      token="$(kubectl -n "$ns" create token "twist-$role" --duration=2160h)"
      cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: twist
    cluster:
      server: https://127.0.0.1:$TUNNEL_LOCAL_PORT
      certificate-authority-data: $ca
users:
  - name: twist-$role-$env
    user:
      token: $token
contexts:
  - name: $env
    context: {cluster: twist, user: twist-$role-$env, namespace: $ns}
current-context: $env
KC
      install -m 0600 "$tmp/kubeconfig" "$out"
      echo "wrote $out (token valid 90 days)"
    fi
    # proof of the scope, through the real API port: allowed in its namespace, refused elsewhere
    sed "s#127.0.0.1:$TUNNEL_LOCAL_PORT#127.0.0.1:6443#" "$out" >"$tmp/local.kubeconfig"
    KUBECONFIG="$tmp/local.kubeconfig" kubectl auth can-i create deployments -n "$ns"
    if KUBECONFIG="$tmp/local.kubeconfig" kubectl auth can-i get secrets -n kube-system >/dev/null 2>&1; then
      echo "the $env $role can read kube-system secrets: RBAC is too wide" >&2; exit 1
    fi
    # only the operator gets a shell and port-forwards in the pods
    exec_ok=no
    KUBECONFIG="$tmp/local.kubeconfig" kubectl auth can-i create pods --subresource=exec -n "$ns" >/dev/null 2>&1 && exec_ok=yes
    if [[ "$role" == deployer && "$exec_ok" == yes ]]; then
      echo "the $env deployer (CI) can exec into pods: RBAC is too wide" >&2; exit 1
    elif [[ "$role" == operator && "$exec_ok" == no ]]; then
      echo "the $env operator cannot exec into pods: the runbooks need it" >&2; exit 1
    fi
  done
done

step "deploy user ($DEPLOY_USER): SSH tunnel to 127.0.0.1:6443 only"
id "$DEPLOY_USER" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$DEPLOY_USER"
install -d -m 0700 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "/home/$DEPLOY_USER/.ssh"
if [[ -n "$deploy_key" ]]; then
  # restrict: no shell, no pty, no agent/X11; the one thing allowed is a local forward to the API
  grep -E '^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) ' "$deploy_key" \
    | sed 's#^#restrict,port-forwarding,permitopen="127.0.0.1:6443",command="/usr/sbin/nologin" #' \
    >"$tmp/authorized_keys"
  [[ -s "$tmp/authorized_keys" ]] || { echo "no public key in $deploy_key" >&2; exit 1; }
  install -m 0600 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$tmp/authorized_keys" "/home/$DEPLOY_USER/.ssh/authorized_keys"
elif [[ ! -s "/home/$DEPLOY_USER/.ssh/authorized_keys" ]]; then
  echo "WARNING: no --deploy-key given and none installed yet: CI cannot connect"
fi

step "done"
echo "k3s $K3S_VERSION, helm $HELM_VERSION, ingress: $ingress"
echo "CI secrets (docs/secrets.md): KUBE_CONFIG of each environment = $STATE_DIR/deployer-<env>.kubeconfig;"
echo "runbooks (runbooks/README.md): $STATE_DIR/operator-<env>.kubeconfig on the operator's workstation."
echo "VM_SSH_KNOWN_HOSTS: the line k3s/README.md step 1 has you write with ssh-keyscan, checked against"
echo "  this host key fingerprint: $(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')"
