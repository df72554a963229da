#!/usr/bin/env bash
# k3s in Docker for CI (ci.yml "k3s" job): a k3s server container and a local registry on one
# Docker network, the way k3d wires them, without a third-party action or install script.
#
#   k3s-ci.sh up                                  start registry + k3s (with its Traefik, as on
#                                                 the VM), write the kubeconfig, export
#                                                 KUBECONFIG (GITHUB_ENV), create namespace twist-ci
#   k3s-ci.sh secrets <auth-image>                the twist-secrets Secret of twist-ci, values
#                                                 generated for this run (JWK from the image)
#   k3s-ci.sh expect-images <ns> <auth-digest> <api-digest>
#                                                 the running Deployments use these digests
#   k3s-ci.sh dump                                cluster state and logs (on failure)
#   k3s-ci.sh down
#
# The runner pushes images to localhost:5000 (buildx with network=host); inside k3s,
# registries.yaml maps localhost:5000 to the registry container, so charts reference the same
# localhost:5000/<image>@sha256:... names the build printed.
set -euo pipefail

cmd="${1:?usage: k3s-ci.sh up|secrets|expect-images|dump|down}"
shift
# K3S_IMAGE (the same k3s release as the VM's K3S_VERSION) and CI_REGISTRY_IMAGE: versions.env
# shellcheck source=versions.env
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/versions.env"
image="$K3S_IMAGE"
registry_image="$CI_REGISTRY_IMAGE"
net=twist-ci
tmp="${RUNNER_TEMP:-/tmp}/twist-k3s"
kubeconfig="$tmp/kubeconfig"

case "$cmd" in
  up)
    mkdir -p "$tmp"
    docker network inspect "$net" >/dev/null 2>&1 || docker network create "$net" >/dev/null
    docker run -d --name twist-registry --network "$net" -p 127.0.0.1:5000:5000 "$registry_image" >/dev/null
    cat >"$tmp/registries.yaml" <<'YAML'
mirrors:
  "localhost:5000":
    endpoint:
      - "http://twist-registry:5000"
YAML
    docker run -d --name twist-k3s --network "$net" --privileged \
      --tmpfs /run --tmpfs /var/run \
      -p 127.0.0.1:6443:6443 \
      -v "$tmp/registries.yaml:/etc/rancher/k3s/registries.yaml:ro" \
      "$image" server --disable=metrics-server \
      --tls-san=127.0.0.1 --write-kubeconfig-mode=644 >/dev/null
    for _ in $(seq 1 60); do
      if docker exec twist-k3s test -s /etc/rancher/k3s/k3s.yaml 2>/dev/null; then break; fi
      sleep 2
    done
    docker exec twist-k3s cat /etc/rancher/k3s/k3s.yaml >"$kubeconfig"
    export KUBECONFIG="$kubeconfig"
    [[ -n "${GITHUB_ENV:-}" ]] && echo "KUBECONFIG=$kubeconfig" >>"$GITHUB_ENV"
    for _ in $(seq 1 60); do
      if kubectl get nodes >/dev/null 2>&1; then break; fi
      sleep 2
    done
    kubectl wait --for=condition=Ready node --all --timeout=180s
    kubectl -n kube-system rollout status deployment/coredns --timeout=180s
    kubectl -n kube-system rollout status deployment/local-path-provisioner --timeout=180s
    # Traefik comes from k3s's helm-controller a little after the node: the app chart's
    # Ingress and Middleware need its CRDs to exist before the first install.
    for _ in $(seq 1 90); do
      if kubectl get crd middlewares.traefik.io >/dev/null 2>&1 &&
        kubectl -n kube-system get deployment traefik >/dev/null 2>&1; then break; fi
      sleep 2
    done
    kubectl wait --for=condition=established crd/middlewares.traefik.io --timeout=60s
    kubectl -n kube-system rollout status deployment/traefik --timeout=180s
    kubectl create namespace twist-ci --dry-run=client -o yaml | kubectl apply -f -
    echo "k3s-ci: $(kubectl version -o json | jq -r '.serverVersion.gitVersion') ready"
    ;;
  secrets)
    auth_image="${1:?auth-service image (for generate-key)}"
    jwk="$(docker run --rm "$auth_image" generate-key k1)"
    [[ -n "$jwk" ]] || { echo "generate-key printed nothing" >&2; exit 1; }
    kubectl -n twist-ci create secret generic twist-secrets \
      --from-literal=DB_PASSWORD="$(openssl rand -hex 24)" \
      --from-literal=REDIS_PASSWORD="$(openssl rand -hex 24)" \
      --from-literal=EDGE_SERVICE_KEY="$(openssl rand -hex 32)" \
      --from-literal=LINKS_IP_PEPPER="$(openssl rand -base64 32)" \
      --from-literal=AUTH_JWT_KEYS="$jwk" \
      --from-literal=BACKUP_S3_ACCESS_KEY_ID=ci-unused \
      --from-literal=BACKUP_S3_SECRET_ACCESS_KEY=ci-unused \
      --dry-run=client -o yaml | kubectl apply -f - >/dev/null
    echo "k3s-ci: twist-ci/twist-secrets created (generated for this run)"
    ;;
  expect-images)
    ns="${1:?namespace}" auth="${2:?auth digest}" api="${3:?api digest}"
    images="$(kubectl -n "$ns" get deployments -o jsonpath='{range .items[*]}{.spec.template.spec.containers[*].image}{"\n"}{end}')"
    echo "$images"
    grep -q "twist-auth-service.*@$auth\$" <<<"$images" || { echo "auth-service is not at $auth" >&2; exit 1; }
    grep -q "twist-influencer-api.*@$api\$" <<<"$images" || { echo "influencer-api is not at $api" >&2; exit 1; }
    ;;
  dump)
    export KUBECONFIG="$kubeconfig"
    kubectl get all,events -A --sort-by=.metadata.creationTimestamp || true
    kubectl -n twist-ci describe pods || true
    kubectl -n twist-ci logs --all-containers --prefix --tail=200 -l app.kubernetes.io/instance=twist || true
    kubectl -n twist-ci logs --all-containers --prefix --tail=200 -l app.kubernetes.io/instance=twist-data || true
    helm history twist -n twist-ci || true
    docker logs --tail 200 twist-k3s || true
    ;;
  down)
    docker rm -f twist-k3s twist-registry >/dev/null 2>&1 || true
    docker network rm "$net" >/dev/null 2>&1 || true
    rm -rf "$tmp"
    ;;
  *)
    echo "usage: k3s-ci.sh up|secrets|expect-images|dump|down" >&2
    exit 2
    ;;
esac
