"""Policy tests over rendered Kubernetes manifests (helm template output).

    python charts/tests/policy.py NAME rendered.yaml [--require-digest] [--expect KIND=COUNT ...]
        [--public-config TFVARS POD_CIDR]

Prints one "PASS <check>" or "FAIL <check>: <why>" line per check; exits 1 when any failed.
Rules (restricted Pod Security Standard plus the project's own):
  - every image pinned: no ":latest", a tag or a digest; with --require-digest every image
    of the twist services and of the data stores carries @sha256:
  - every container and init container: requests and limits for cpu and memory; non-root
    (container or pod level); allowPrivilegeEscalation false; readOnlyRootFilesystem true;
    capabilities drop ALL and add nothing; no privileged
  - every pod: seccomp RuntimeDefault, automountServiceAccountToken false, no host
    namespaces, no hostPath volumes
  - long-running containers (Deployment, StatefulSet): startup, liveness and readiness probes
  - Deployments: RollingUpdate with maxUnavailable 0
  - Services are ClusterIP (the VM publishes nothing but through Traefik or the tunnel)
  - PodDisruptionBudgets only select workloads with more than one replica
  - metrics stay private: each app container has a "management" port apart from "http"; no
    Service (the tunnel's public hostnames and the ingress point at Services) exposes it; the
    NetworkPolicy admits on it only peers in another, named namespace (Prometheus in
    monitoring): never an ipBlock, an empty peer, the tunnel or the ingress controller
  - with --public-config (staging, production): influencer-api is configured for its public
    hosts, not for a laptop: APP_URL, LINKS_PUBLIC_BASE and LINKS_DEFAULT_DESTINATION are https
    URLs of real hosts (no localhost, IP literal or *.example), LINKS_PUBLIC_BASE is the API host
    of the environment's Terraform (TFVARS api_host: where the tunnel serves /r/<code>), APP_URL
    and LINKS_DEFAULT_DESTINATION are web app origins that Terraform allows (ALLOWED_ORIGINS);
    LINKS_TRUSTED_PROXIES and AUTH_TRUSTED_PROXIES name exactly the k3s pod network POD_CIDR, where
    the cloudflared pods run (never a range beyond it); LINKS_IP_PEPPER comes from a required
    key of the release's Secret, so every replica hashes click IPs with the same pepper
"""
import ipaddress
import re
import sys
from urllib.parse import urlsplit

import yaml

results = []


def check(name, ok, why=""):
    results.append((name, ok, why))


def pod_specs(doc):
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return [spec["template"]["spec"]]
    if kind == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if kind == "Pod":
        return [spec]
    return []


def configmap(docs, component):
    for d in docs:
        if d["kind"] == "ConfigMap" and (d["metadata"].get("labels") or {}).get(
                "app.kubernetes.io/component") == component:
            return d.get("data") or {}
    return {}


def container(docs, component):
    for d in docs:
        if d["kind"] == "Deployment" and d["metadata"]["labels"].get(
                "app.kubernetes.io/component") == component:
            return d["spec"]["template"]["spec"]["containers"][0]
    return {}


def public_host(url):
    """The host of an https URL naming a real public host, else None."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.query or parts.fragment:
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if host == "localhost" or "." not in host or re.search(r"\.(example|local|localhost|test|invalid)$", host):
        return None
    return host


def check_public_config(name, docs, tfvars_path, pod_cidr):
    """Staging/production: the addresses influencer-api puts into mails and links, and whom it
    believes about the client's IP (the per-IP click limit and unique visitors key on it)."""
    with open(tfvars_path) as f:
        tfvars = f.read()
    api_host = re.search(r'(?m)^api_host\s*=\s*"([^"]+)"', tfvars).group(1)
    origins = re.search(r'(?m)^\s*ALLOWED_ORIGINS\s*=\s*"([^"]*)"', tfvars).group(1).split(",")
    api = configmap(docs, "influencer-api")
    auth = configmap(docs, "auth-service")
    where = f"{name}: influencer-api"
    for key in ("APP_URL", "LINKS_PUBLIC_BASE", "LINKS_DEFAULT_DESTINATION"):
        value = api.get(key)
        check(f"{where} sets {key} to an https URL of a real host", public_host(value) is not None,
              f"{key}={value!r}")
    base = api.get("LINKS_PUBLIC_BASE", "")
    check(f"{where} LINKS_PUBLIC_BASE is the environment's API host ({api_host})",
          base.rstrip("/") == f"https://{api_host}", f"LINKS_PUBLIC_BASE={base!r}")
    for key in ("APP_URL", "LINKS_DEFAULT_DESTINATION"):
        value = api.get(key, "")
        origin = "https://" + (urlsplit(value).netloc or "?")
        check(f"{where} {key} is a web app origin of this environment ({', '.join(origins)})",
              origin in origins, f"{key}={value!r}")
    cidr = ipaddress.ip_network(pod_cidr)
    for component, data, key in (("influencer-api", api, "LINKS_TRUSTED_PROXIES"),
                                 ("auth-service", auth, "AUTH_TRUSTED_PROXIES")):
        entries = [e.strip() for e in (data.get(key) or "").split(",") if e.strip()]
        bad = []
        for e in entries:
            try:
                net = ipaddress.ip_network(e, strict=False)
            except ValueError:
                bad.append(e)
                continue
            if net.version != cidr.version or not net.subnet_of(cidr):
                bad.append(e)
        check(f"{name}: {component} {key} trusts only the pod network {pod_cidr}",
              bool(entries) and not bad, f"{key}={data.get(key)!r}, outside: {bad}")
        check(f"{name}: {component} {key} covers the pod network {pod_cidr} (tunnel pods)",
              any(ipaddress.ip_network(e, strict=False) == cidr for e in entries if e not in bad),
              f"{key}={data.get(key)!r}")
    tunnel = [d for d in docs if d["kind"] == "Deployment"
              and d["metadata"]["labels"].get("app.kubernetes.io/component") == "cloudflared"]
    check(f"{name}: the cloudflared tunnel is what the trusted proxies are for", len(tunnel) == 1,
          f"{len(tunnel)} cloudflared Deployments")
    env = {e["name"]: e for e in container(docs, "influencer-api").get("env") or []}
    ref = ((env.get("LINKS_IP_PEPPER") or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
    check(f"{where} reads LINKS_IP_PEPPER from a required Secret key",
          bool(ref.get("name")) and bool(ref.get("key")) and not ref.get("optional"),
          f"LINKS_IP_PEPPER env {env.get('LINKS_IP_PEPPER')}")
    check(f"{where} has no LINKS_IP_PEPPER in its ConfigMap (a secret)", "LINKS_IP_PEPPER" not in api)


def check_metrics_private(name, docs):
    mgmt_numbers = set()
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        component = d["metadata"]["labels"].get("app.kubernetes.io/component")
        if component not in ("auth-service", "influencer-api"):
            continue
        ports = {p.get("name"): p["containerPort"] for p in container(docs, component).get("ports") or []}
        check(f"{name}: {component} has a management port apart from http",
              "management" in ports and "http" in ports and ports["management"] != ports["http"],
              f"ports {ports}")
        if "management" in ports:
            mgmt_numbers.add(ports["management"])
    for d in docs:
        if d["kind"] != "Service":
            continue
        exposed = [p for p in d["spec"].get("ports") or []
                   if p.get("targetPort") == "management" or p.get("name") == "management"
                   or p.get("targetPort") in mgmt_numbers
                   or (p.get("targetPort") is None and p.get("port") in mgmt_numbers)]
        check(f"{name}: Service/{d['metadata']['name']} does not expose the management port (/metrics)",
              not exposed, f"ports {exposed}")
    ingress_ns = None
    for d in docs:
        if d["kind"] != "NetworkPolicy":
            continue
        component = d["metadata"]["labels"].get("app.kubernetes.io/component")
        if component not in ("auth-service", "influencer-api"):
            continue
        for rule in d["spec"].get("ingress") or []:
            ports = [p.get("port") for p in rule.get("ports") or []]
            if rule.get("ports") and "management" not in ports and not set(ports) & mgmt_numbers:
                # the public port's rule: remember the ingress controller's namespace
                for peer in rule.get("from") or []:
                    ns = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get(
                        "kubernetes.io/metadata.name")
                    ingress_ns = ns or ingress_ns
                continue
            where = f"{name}: NetworkPolicy/{d['metadata']['name']} management port"
            peers = rule.get("from")
            check(f"{where} names its peers (no rule open to all ports or all sources)",
                  bool(rule.get("ports")) and bool(peers), f"rule {rule}")
            for peer in peers or []:
                ns = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get(
                    "kubernetes.io/metadata.name")
                pods = (peer.get("podSelector") or {}).get("matchLabels") or {}
                ok = ("ipBlock" not in peer and ns and ns != d["metadata"].get("namespace")
                      and ns != ingress_ns and pods
                      and pods.get("app.kubernetes.io/component") not in ("cloudflared", "auth-service",
                                                                         "influencer-api"))
                check(f"{where} admits only a named monitoring namespace's pods", bool(ok), f"peer {peer}")


def main():
    args = sys.argv[1:]
    name, path = args[0], args[1]
    require_digest = "--require-digest" in args
    expect = {}
    if "--expect" in args:
        for item in args[args.index("--expect") + 1:]:
            if item.startswith("--"):
                break
            kind, count = item.split("=")
            expect[kind] = int(count)
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    check_metrics_private(name, docs)
    if "--public-config" in args:
        at = args.index("--public-config")
        check_public_config(name, docs, args[at + 1], args[at + 2])
    kinds = {}
    for d in docs:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    for kind, count in expect.items():
        check(f"{name}: renders {count} {kind}", kinds.get(kind, 0) == count,
              f"found {kinds.get(kind, 0)}")

    replicas = {}
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet"):
            labels = d["spec"]["selector"]["matchLabels"]
            replicas[tuple(sorted(labels.items()))] = d["spec"].get("replicas", 1)

    for d in docs:
        kind, obj = d["kind"], d["metadata"]["name"]
        where = f"{name}: {kind}/{obj}"
        if kind == "Service":
            t = d["spec"].get("type", "ClusterIP")
            check(f"{where} is ClusterIP", t == "ClusterIP", f"type {t}")
        if kind == "Deployment":
            strat = d["spec"].get("strategy", {})
            ru = strat.get("rollingUpdate", {})
            check(f"{where} rolls with maxUnavailable 0",
                  strat.get("type") == "RollingUpdate" and ru.get("maxUnavailable") == 0,
                  f"strategy {strat}")
            check(f"{where} has minReadySeconds", d["spec"].get("minReadySeconds", 0) > 0)
        if kind == "PodDisruptionBudget":
            sel = tuple(sorted(d["spec"]["selector"]["matchLabels"].items()))
            check(f"{where} guards a workload with >1 replica", replicas.get(sel, 0) > 1,
                  f"replicas {replicas.get(sel)}")
        for spec in pod_specs(d):
            psc = spec.get("securityContext") or {}
            check(f"{where} pod seccomp RuntimeDefault",
                  (psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", str(psc))
            check(f"{where} pod does not mount a service account token",
                  spec.get("automountServiceAccountToken") is False)
            check(f"{where} pod uses no host namespaces or hostPath",
                  not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
                  and not any("hostPath" in v for v in spec.get("volumes") or []))
            # restricted Pod Security Standard: only these volume types
            allowed = {"configMap", "emptyDir", "secret", "persistentVolumeClaim", "projected",
                       "downwardAPI", "ephemeral", "csi"}
            bad = [v["name"] for v in spec.get("volumes") or []
                   if not (set(v) - {"name"}) <= allowed]
            check(f"{where} pod uses only restricted-profile volume types", not bad, f"volumes {bad}")
            long_running = kind in ("Deployment", "StatefulSet")
            for c in (spec.get("initContainers") or []) + spec["containers"]:
                cw = f"{where} container {c['name']}"
                image = c["image"]
                last = image.rsplit("/", 1)[-1]
                tagged = "@sha256:" in image or ":" in last
                check(f"{cw} image pinned (no latest)",
                      tagged and not image.split("@")[0].endswith(":latest"), image)
                if require_digest:
                    check(f"{cw} image by digest", "@sha256:" in image, image)
                res = c.get("resources") or {}
                ok = all((res.get(k) or {}).get(r) for k in ("requests", "limits")
                         for r in ("cpu", "memory"))
                check(f"{cw} has cpu/memory requests and limits", ok, str(res))
                sc = c.get("securityContext") or {}
                non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True
                uid = sc.get("runAsUser", psc.get("runAsUser"))
                check(f"{cw} runs as non-root", non_root and (uid is None or uid != 0),
                      f"runAsNonRoot {non_root}, runAsUser {uid}")
                check(f"{cw} no privilege escalation",
                      sc.get("allowPrivilegeEscalation") is False and not sc.get("privileged"))
                check(f"{cw} read-only root filesystem", sc.get("readOnlyRootFilesystem") is True)
                caps = sc.get("capabilities") or {}
                check(f"{cw} opens no host port",
                      not any(p.get("hostPort") for p in c.get("ports") or []))
                check(f"{cw} drops ALL capabilities",
                      "ALL" in (caps.get("drop") or []) and not caps.get("add"), str(caps))
                if long_running:
                    missing = [p for p in ("startupProbe", "livenessProbe", "readinessProbe")
                               if p not in c]
                    check(f"{cw} has startup, liveness and readiness probes", not missing,
                          f"missing {missing}")

    failed = 0
    for check_name, ok, why in results:
        if ok:
            print(f"PASS {check_name}")
        else:
            failed += 1
            print(f"FAIL {check_name}: {why}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
