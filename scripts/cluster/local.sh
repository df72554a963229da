#!/usr/bin/env bash
# A one-node Kubernetes on this machine from the components scripts/cluster/build-k8s.sh builds
# (no k3s, no image registry, no systemd here: docs/rehearsal.md). Every daemon is started by this
# script and stopped by the pid it recorded. Root only.
#
#   scripts/cluster/local.sh up       CA + certificates (openssl), etcd, kube-apiserver,
#                                     controller-manager, scheduler, a containerd of its own
#                                     (CRI, CNI bridge + portmap + firewall), kubelet, kube-proxy
#                                     (iptables), CoreDNS (cluster.local), the local-path storage
#                                     class, and sshd on 127.0.0.1:$TWIST_SSH_PORT ("the VM's SSH");
#                                     prints the admin kubeconfig path
#   scripts/cluster/local.sh down     stops all of it by pid; removes pods' mounts, network
#                                     namespaces, iptables chains and the bridge it made, so the
#                                     next "up" starts clean (images stay in containerd's store);
#                                     "up" does the same first when an earlier run was killed
#                                     before its "down"
#   scripts/cluster/local.sh crash    SIGKILL every daemon, clean nothing (a session's end; the
#                                     rehearsal checks that the next "up" recovers)
#   scripts/cluster/local.sh import TAR...   docker-save / OCI tars into the kubelet's containerd
#   scripts/cluster/local.sh ctr ARGS...     ctr against that containerd (namespace k8s.io)
#   scripts/cluster/local.sh dump     nodes, pods, events and the daemons' log tails
#   scripts/cluster/local.sh sshd-up|sshd-down   only "the VM's SSH" (k3s in Docker on GitHub)
#
# Layout: state under $TWIST_K8S_STATE (/var/lib/twist-k8s), sockets and pids under
# $TWIST_K8S_RUN (/run/twist-k8s); the admin kubeconfig is $TWIST_K8S_STATE/admin.kubeconfig.
# Settings each found by a failure here: ../shared reference "local-kubernetes" (kubelet
# failCgroupV1=false, containerd restrict_oom_score_adj, CNI firewall plugin, local pause image,
# kubelet-preferred-address-types=InternalIP).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=bin/lib/tools.sh
source "$repo/bin/lib/tools.sh"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
state="${TWIST_K8S_STATE:-/var/lib/twist-k8s}"
run="${TWIST_K8S_RUN:-/run/twist-k8s}"
ssh_port="${TWIST_SSH_PORT:-2222}"
bin="$cache/k8s/$KUBERNETES_VERSION"
etcd_bin="$cache/etcd/$ETCD_VERSION/etcd"
coredns_bin="$cache/coredns/$COREDNS_VERSION/coredns"
pki="$state/pki"
logs="$state/logs"
sock="$run/containerd.sock"
node=twist-node
pod_cidr=10.42.0.0/16
node_pod_cidr=10.42.0.0/24
service_cidr=10.43.0.0/16
api_service_ip=10.43.0.1
dns_ip=10.43.0.10
bridge=twist-cni0
pause_image=twist.local/pause:1
coredns_image="twist.local/coredns:$COREDNS_VERSION"
export KUBECONFIG="$state/admin.kubeconfig"
kubectl() { "$bin/kubectl" "$@"; }

log() { echo "cluster: $(date -u +%H:%M:%S) $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The node's address: the source address of the default route (kubelet InternalIP, advertised by
# the API server, reachable from pods through the bridge).
node_ip() { ip -4 route get 1.1.1.1 | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}' | head -n1; }

running() { [[ -f "$run/$1.pid" ]] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

# start NAME CMD...: runs CMD in its own session, logs to $logs/NAME.log, pid in $run/NAME.pid.
start() {
  local name="$1"; shift
  running "$name" && { log "$name already runs ($(cat "$run/$name.pid"))"; return 0; }
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

# stop NAME: SIGTERM by pid, SIGKILL after 20 s.
stop() {
  local name="$1" pid i
  [[ -f "$run/$name.pid" ]] || return 0
  pid="$(cat "$run/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "$name ($pid) ignores SIGTERM: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
  fi
  rm -f "$run/$name.pid"
}

# wait_for WHAT SECONDS CMD...: polls CMD every 0.5 s.
wait_for() {
  local what="$1" secs="$2" i; shift 2
  for i in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what not ready after ${secs}s (logs: $logs)"
}

# write_if_changed FILE: stdin to FILE unless FILE already holds exactly that
write_if_changed() {
  local tmp="$1.new"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# ---------- certificates ----------
# cert NAME CN O [SANs]: key + certificate signed by the cluster CA (1 year).
cert() {
  local name="$1" cn="$2" o="$3" sans="${4:-}"
  [[ -s "$pki/$name.crt" ]] && return 0
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  local subj="/CN=$cn"; [[ -n "$o" ]] && subj="/O=$o/CN=$cn"
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# kubeconfig NAME CERT: a kubeconfig with embedded CA and client certificate for 127.0.0.1:6443.
kubeconfig() {
  local out="$state/$1.kubeconfig" c="$2"
  cat >"$out" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: twist-local
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $1
    user:
      client-certificate-data: $(base64 -w0 "$pki/$c.crt")
      client-key-data: $(base64 -w0 "$pki/$c.key")
contexts:
  - name: $1
    context: {cluster: twist-local, user: $1}
current-context: $1
KC
  chmod 600 "$out"
}

certificates() {
  local ip="$1"
  mkdir -p "$pki" && chmod 700 "$pki"
  if [[ ! -s "$pki/ca.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" \
      -days 365 -subj "/CN=twist-local-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  fi
  cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:$ip,IP:$api_service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin twist-admin system:masters
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert controller-manager system:kube-controller-manager ""
  cert scheduler system:kube-scheduler ""
  cert kube-proxy system:kube-proxy ""
  cert kubelet "system:node:$node" system:nodes "IP:$ip,IP:127.0.0.1,DNS:$node"
  [[ -s "$pki/sa.key" ]] || { openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null; openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null; }
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kube-proxy kube-proxy
  kubeconfig kubelet kubelet
}

# ---------- containerd (its own socket, root and state: not the one dockerd runs) ----------
containerd_up() {
  mkdir -p "$state/containerd" "$run/containerd" "$state/cni/net.d" "$state/cni/networks" "$state/opt"
  cat >"$state/containerd.toml" <<TOML
version = 2
root = "$state/containerd"
state = "$run/containerd"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # the VM may not lower oom_score_adj: runc fails "can't get final child's PID" without this
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  # pods' network namespaces under this containerd's state directory, not the machine's /run/netns
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
TOML
  # bridge + host-local IPAM (state under $state), portmap, and firewall (Docker's FORWARD DROP
  # would otherwise drop pod -> Service traffic).
  cat >"$state/cni/net.d/10-twist.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "twist",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "mtu": $(( $(cat /sys/class/net/"$(ip -4 route show default | awk '{print $5; exit}')"/mtu) - 0 )),
     "ipam": {"type": "host-local", "dataDir": "$state/cni/networks",
              "ranges": [[{"subnet": "$node_pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
JSON
  start containerd containerd --config "$state/containerd.toml"
  wait_for containerd 30 ctr -a "$sock" version
  wait_for "containerd's CRI plugin" 60 cri_ready
}

ctr_k8s() { ctr -a "$sock" -n k8s.io "$@"; }
cri_ready() { ctr -a "$sock" plugins ls 2>/dev/null | grep -Eq '^io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*[[:space:]]ok[[:space:]]*$'; }

# import TAR...: images into the kubelet's containerd (docker-save or OCI archives).
import_images() {
  local tar
  for tar in "$@"; do
    log "import $(basename "$tar")"
    ctr_k8s images import "$tar" >/dev/null
  done
}

# local_image NAME BINARY ARGS...: packs a static binary as an image and imports it (pause, CoreDNS).
local_image() {
  local name="$1" binary="$2"; shift 2
  local tar="$state/images/${name//[\/:]/_}.tar"
  mkdir -p "$state/images"
  ctr_k8s images ls -q | grep -qx "$name" && return 0
  python3 "$repo/scripts/cluster/oci-image.py" "$name" "$tar" "$binary" "$@" >/dev/null
  import_images "$tar"
}

# ---------- up ----------
# residue: what a run killed before its teardown leaves (a session that ended, a cancelled CI
# job): pid files, the old cluster's etcd data (its namespaces, releases and secrets), the
# PersistentVolume directories (a database initialised with other passwords), mounts, the
# bridge, KUBE-/CNI- iptables chains. CI once failed on exactly this: the next "up" served the
# killed run's etcd and volumes to a deploy with new secrets.
residue() {
  compgen -G "$run/*.pid" >/dev/null && return 0
  [[ -e "$state/etcd" || -e "$state/volumes" || -e "$state/kubelet" ]] && return 0
  awk -v a="$state/" -v b="$run/" '$2 ~ "^"a || $2 ~ "^"b {f = 1} END {exit !f}' /proc/mounts && return 0
  ip link show "$bridge" >/dev/null 2>&1 && return 0
  iptables -t nat -S 2>/dev/null | grep -qE '^-N (KUBE-|CNI-)' && return 0
  return 1
}

# crash: SIGKILL every daemon this script started, their process groups included, and clean
# nothing: what the end of a session or a cancelled job does (the rehearsal checks that the
# next "up" recovers from it).
crash() {
  local f pid
  for f in "$run"/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  for pid in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$pid/cmdline"; } 2>/dev/null | grep -q -- "-address $sock "; then kill -9 "${pid#/proc/}" 2>/dev/null || true; fi
  done
  kill_pod_processes
  log "every daemon and container process killed (SIGKILL), nothing cleaned"
}

# kill_pod_processes: container processes left without their shim (the kubelet's cgroupfs
# driver puts every pod under the "kubepods" cgroup; cgroup v1 here, v2 elsewhere)
kill_pod_processes() {
  local d
  for d in /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d "$d" ]] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
}

up() {
  [[ "$(id -u)" -eq 0 ]] || die "run as root"
  # every "up" starts an empty cluster (certificates, the SSH host key and containerd's image
  # store are kept): whatever an earlier run left without its teardown goes first
  if residue; then
    log "an earlier run ended without its teardown: cleaning up what it left"
    down
  fi
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    [[ -x "$bin/$b" ]] || die "$bin/$b missing: run scripts/cluster/build-k8s.sh"
  done
  [[ -x "$etcd_bin" && -x "$coredns_bin" ]] || die "etcd/coredns missing: run scripts/cluster/build-k8s.sh"
  tools_apt containerd=containerd ctr=containerd runc=runc iptables=iptables conntrack=conntrack \
    openssl=openssl sshd=openssh-server /usr/lib/cni/bridge=containernetworking-plugins \
    /usr/lib/cni/firewall=containernetworking-plugins || die "the packages above are needed"
  local ip; ip="$(node_ip)"
  [[ -n "$ip" ]] || die "no node address (default route)"
  mkdir -p "$state" "$run" "$logs"
  chmod 700 "$state"
  log "node $node at $ip; state $state"
  modprobe br_netfilter 2>/dev/null || true
  modprobe overlay 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 >/dev/null 2>&1 || true

  certificates "$ip"

  log "etcd $ETCD_VERSION"
  start etcd "$etcd_bin" --name twist --data-dir "$state/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster twist=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
  wait_for etcd 30 curl -fsS http://127.0.0.1:2379/health

  log "kube-apiserver $KUBERNETES_VERSION"
  # listens on every address (CI's tunnel ends at 127.0.0.1:6443; pods reach it through the
  # "kubernetes" Service at the node address it advertises), client certificates and tokens only
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 --secure-port=6443 --advertise-address="$ip" \
    --service-cluster-ip-range="$service_cidr" \
    --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false --anonymous-auth=false
  wait_for kube-apiserver 90 kubectl get --raw /readyz

  log "controller-manager, scheduler"
  start kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$service_cidr" --cluster-cidr="$pod_cidr" --allocate-node-cidrs=false \
    --profiling=false
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false

  log "containerd (socket $sock)"
  containerd_up
  local pause_bin="$state/images/pause"
  mkdir -p "$state/images"
  if ! ctr_k8s images ls -q | grep -qx "$pause_image"; then
    (cd "$repo/scripts/cluster/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$pause_bin" .)
    local_image "$pause_image" "$pause_bin"
  fi

  log "kubelet"
  mkdir -p "$state/kubelet" "$state/kubelet-pods"
  write_if_changed "$state/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# this machine kind is cgroup v1 (hybrid); kubelet >= 1.35 refuses it unless told
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$sock
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDomain: cluster.local
clusterDNS: [$dns_ip]
podCIDR: $node_pod_cidr
resolvConf: /etc/resolv.conf
failSwapOn: false
serializeImagePulls: false
maxPods: 60
# a shared development machine: evict only when it is really out of memory or disk
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
# no image garbage collection (100 disables it): the images are imported, not pulled, and a GC
# on a nearly full disk deleted the imported pause image mid-rehearsal (sandboxes then failed)
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
  # the kubelet exits at once while the CRI still answers "server is not initialized yet": retry
  local try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    start kubelet "$bin/kubelet" --config="$state/kubelet.yaml" --kubeconfig="$state/kubelet.kubeconfig" \
      --root-dir="$state/kubelet" --hostname-override="$node" --node-ip="$ip" --v=1
    sleep 3
    running kubelet && break
    log "kubelet exited (try $try): $(tail -n1 "$logs/kubelet.log" | cut -c1-160)"
  done

  log "kube-proxy (iptables)"
  # kube-proxy exits when its configuration file changes: rewrite it only when it differs
  write_if_changed "$state/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $state/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $pod_cidr
hostnameOverride: $node
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# leave the machine's conntrack sysctls alone (a shared VM)
conntrack: {maxPerCore: 0}
YAML
  start kube-proxy "$bin/kube-proxy" --config="$state/kube-proxy.yaml"

  wait_for "node $node" 120 kubectl get node "$node"
  kubectl wait --for=condition=Ready "node/$node" --timeout=120s >/dev/null || die "node not Ready"

  log "CoreDNS $COREDNS_VERSION, storage class local-path"
  local_image "$coredns_image" "$coredns_bin"
  addons
  kubectl -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null || die "CoreDNS not ready"

  sshd_up
  log "up: $(kubectl version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])'), KUBECONFIG=$KUBECONFIG"
  echo "$KUBECONFIG"
}

# CoreDNS as a Deployment behind the kube-dns Service (what k3s ships), and the "local-path"
# StorageClass the charts ask for, with host directories as PersistentVolumes (k3s's
# local-path-provisioner makes the same kind of directory on demand; here they are made up front).
addons() {
  local i
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:1053 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        forward . /etc/resolv.conf
        cache 30
        loop
        reload
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: coredns
          image: $coredns_image
          imagePullPolicy: Never
          args: [-conf, /etc/coredns/Corefile]
          ports:
            - {name: dns, containerPort: 1053, protocol: UDP}
            - {name: dns-tcp, containerPort: 1053, protocol: TCP}
          readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
          livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 20m, memory: 32Mi}, limits: {memory: 128Mi}}
          volumeMounts: [{name: config, mountPath: /etc/coredns}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $dns_ip
  selector: {k8s-app: kube-dns}
  ports:
    - {name: dns, port: 53, targetPort: 1053, protocol: UDP}
    - {name: dns-tcp, port: 53, targetPort: 1053, protocol: TCP}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
YAML
  for i in 1 2 3 4 5 6; do
    mkdir -p "$state/volumes/pv$i"
    chmod 1777 "$state/volumes/pv$i"
    kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: twist-local-pv$i}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-path
  hostPath: {path: $state/volumes/pv$i, type: Directory}
YAML
  done
}

# ---------- "the VM's SSH": sshd on 127.0.0.1, with the settings k3s/bootstrap.sh writes ----------
sshd_up() {
  running sshd && return 0
  mkdir -p /run/sshd "$state/ssh"
  [[ -s "$state/ssh/ssh_host_ed25519_key" ]] || ssh-keygen -q -t ed25519 -N '' -C twist-local-vm -f "$state/ssh/ssh_host_ed25519_key"
  cat >"$state/ssh/sshd_config" <<CONF
ListenAddress 127.0.0.1:$ssh_port
HostKey $state/ssh/ssh_host_ed25519_key
PidFile $run/sshd.sshd-pid
# PAM as on Ubuntu (without it sshd refuses the deploy user, whose password is locked)
UsePAM yes
# as k3s/bootstrap.sh writes /etc/ssh/sshd_config.d/50-twist.conf
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowTcpForwarding local
X11Forwarding no
CONF
  /usr/sbin/sshd -t -f "$state/ssh/sshd_config"
  start sshd /usr/sbin/sshd -D -e -f "$state/ssh/sshd_config"
  wait_for sshd 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ssh_port"
  log "sshd on 127.0.0.1:$ssh_port (host key $state/ssh/ssh_host_ed25519_key.pub)"
}

# ---------- down ----------
# sshd_down: the listener's session processes first (they outlive it), then the listener
sshd_down() {
  if running sshd; then pkill -TERM -P "$(cat "$run/sshd.pid")" 2>/dev/null || true; sleep 1; fi
  stop sshd
}

down() {
  [[ "$(id -u)" -eq 0 ]] || die "run as root"
  sshd_down
  if running kube-apiserver && running kubelet; then
    # let the kubelet stop every pod sandbox itself (CNI DEL frees addresses and port mappings)
    log "deleting workloads"
    for ns in $(kubectl get ns -o name 2>/dev/null | sed 's#namespace/##' | grep -vE '^(default|kube-system|kube-public|kube-node-lease)$'); do
      kubectl delete ns "$ns" --wait=false >/dev/null 2>&1 || true
    done
    kubectl -n kube-system delete deployment coredns --wait=false >/dev/null 2>&1 || true
    kubectl delete pods -A --all --grace-period=1 --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      [[ -z "$(ctr_k8s tasks ls -q 2>/dev/null)" ]] && break
      sleep 1
    done
  fi
  stop kube-proxy
  stop kubelet
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
  if running containerd; then
    local c
    for c in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s KILL "$c" >/dev/null 2>&1 || true; done
    sleep 1
    for c in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "$c" >/dev/null 2>&1 || true; done
    for c in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers delete "$c" >/dev/null 2>&1 || true; done
  fi
  stop containerd
  # shims of this containerd (their command line names its socket) outlive it: stop them by pid
  local p
  for p in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "-address $sock "; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
  kill_pod_processes
  # mounts under our directories (pod volumes, container root filesystems, shm, network
  # namespaces: netns_mounts_under_state_dir), deepest first
  awk -v a="$state/" -v b="$run/" '$2 ~ "^"a || $2 ~ "^"b {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  # iptables: kube-proxy's own cleanup, then the CNI plugins' chains and the bridge
  [[ -x "$bin/kube-proxy" ]] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  iptables_cleanup
  ip link del "$bridge" 2>/dev/null || true
  # fresh cluster next time; containerd's image store, certificates and the SSH host key stay
  rm -rf "$state/etcd" "$state/kubelet" "$state/cni/networks" "$state/volumes" "$run"
  log "down"
}

# Removes every rule that jumps to a KUBE-* or CNI-* chain, then those chains (filter, nat, mangle).
iptables_cleanup() {
  local table chain rule
  for table in filter nat mangle; do
    { iptables -t "$table" -S 2>/dev/null || true; } | { grep -E '^-A .* -j (KUBE-|CNI-)' || true; } | { grep -vE '^-A (KUBE-|CNI-)' || true; } | while read -r rule; do
      # shellcheck disable=SC2086 # the rule is split into iptables arguments on purpose
      eval "iptables -t $table ${rule/-A/-D}" 2>/dev/null || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-)/ {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-)/ {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

dump() {
  echo "==== cluster state"
  kubectl get nodes -o wide 2>&1 || true
  kubectl get all,pvc,events -A -o wide 2>&1 | tail -n 200 || true
  local ns pod
  for ns in $(kubectl get ns -o name 2>/dev/null | sed 's#namespace/##'); do
    for pod in $(kubectl -n "$ns" get pods --no-headers 2>/dev/null | awk '$3 != "Running" && $3 != "Completed" || $2 !~ /^([0-9]+)\/\1$/ {print $1}'); do
      echo "==== $ns/$pod (not ready)"
      kubectl -n "$ns" describe pod "$pod" 2>&1 | tail -n 40 || true
      kubectl -n "$ns" logs "$pod" --all-containers --prefix --tail=100 2>&1 || true
      kubectl -n "$ns" logs "$pod" --all-containers --prefix --tail=50 --previous 2>/dev/null || true
    done
  done
  local f
  for f in "$logs"/*.log; do
    [[ -f "$f" ]] || continue
    echo "==== $(basename "$f") (last 15 lines)"
    tail -n 15 "$f"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  crash) crash ;;
  sshd-up) mkdir -p "$state" "$run" "$logs"; sshd_up ;;
  sshd-down) sshd_down ;;
  import) shift; import_images "$@" ;;
  ctr) shift; ctr_k8s "$@" ;;
  dump) dump ;;
  *) sed -n '2,24p' "$0"; exit 2 ;;
esac
