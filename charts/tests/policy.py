"""Policy tests over rendered Kubernetes manifests (helm template output).

    python charts/tests/policy.py NAME rendered.yaml [--require-digest] [--expect KIND=COUNT ...]

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
"""
import sys

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
