"""The runbooks' kubectl commands against the Roles k3s/bootstrap.sh creates (issue 17, item 12).

runbooks/README.md says the operator kubeconfig is enough for every namespaced command of the
runbooks, and CI's deployer has no shell or port-forward into pods. This test lists every kubectl
command in runbooks/*.md, maps it to the API permissions kubectl needs (resource, subresource,
verb: https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
and https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources), and
checks them against the Role rules in the bootstrap script. A kubectl subcommand it does not know
fails the test, so a new kind of command is mapped before a runbook relies on it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "k3s" / "bootstrap.sh"
RUNBOOKS = sorted((ROOT / "runbooks").glob("*.md"))

# kubectl's short names -> (API group, resource)
RESOURCES = {
    "pod": ("", "pods"), "pods": ("", "pods"), "po": ("", "pods"),
    "deploy": ("apps", "deployments"), "deployment": ("apps", "deployments"), "deployments": ("apps", "deployments"),
    "sts": ("apps", "statefulsets"), "statefulset": ("apps", "statefulsets"), "statefulsets": ("apps", "statefulsets"),
    "rs": ("apps", "replicasets"), "replicaset": ("apps", "replicasets"),
    "job": ("batch", "jobs"), "jobs": ("batch", "jobs"),
    "cronjob": ("batch", "cronjobs"), "cronjobs": ("batch", "cronjobs"), "cj": ("batch", "cronjobs"),
    "secret": ("", "secrets"), "secrets": ("", "secrets"),
    "configmap": ("", "configmaps"), "configmaps": ("", "configmaps"), "cm": ("", "configmaps"),
    "svc": ("", "services"), "service": ("", "services"), "services": ("", "services"),
    "pvc": ("", "persistentvolumeclaims"), "events": ("", "events"), "event": ("", "events"),
    "endpoints": ("", "endpoints"), "networkpolicy": ("networking.k8s.io", "networkpolicies"),
    "networkpolicies": ("networking.k8s.io", "networkpolicies"), "pdb": ("policy", "poddisruptionbudgets"),
}
CLUSTER_SCOPED = {"node", "nodes", "no", "namespace", "namespaces", "ns", "pv", "persistentvolumes"}


def roles() -> dict[str, list[dict]]:
    text = BOOTSTRAP.read_text()
    m = re.search(r"kubectl apply -f - <<YAML\n(.*?)\nYAML\n", text, re.S)
    assert m, "the namespace/RBAC manifest heredoc of k3s/bootstrap.sh not found"
    docs = yaml.safe_load_all(m.group(1).replace("$ns", "twist-staging"))
    return {d["metadata"]["name"]: d["rules"] for d in docs if d and d.get("kind") == "Role"}


def allowed(rules: list[dict], group: str, resource: str, verb: str) -> bool:
    return any(group in r.get("apiGroups", []) and resource in r.get("resources", []) and
               (verb in r.get("verbs", []) or "*" in r.get("verbs", [])) for r in rules)


def target(arg: str) -> tuple[str, str]:
    """'deploy/x' or 'pod' -> (group, resource)"""
    kind = arg.split("/", 1)[0].split(".", 1)[0]
    assert kind in RESOURCES, f"unknown resource kind {arg!r}: add it to RESOURCES"
    return RESOURCES[kind]


def pods_of(arg: str) -> set:
    """exec/logs/port-forward on deploy/x or sts/x: kubectl reads that object, then lists its pods"""
    if "/" in arg and not arg.startswith(("pod/", "pods/", "po/")):
        g, r = target(arg)
        return {(g, r, "get"), ("", "pods", "list")}
    return {("", "pods", "get")}


def needs(cmd: list[str]) -> set[tuple[str, str, str]] | None:
    """API permissions of one kubectl invocation (None = cluster-wide, runs on the VM)."""
    args = [a for a in cmd if not a.startswith("-")]
    flags = [a for a in cmd if a.startswith("-")]
    sub = args[0]
    rest = args[1:]
    if rest and rest[0].split("/")[0] in CLUSTER_SCOPED:
        return None
    if sub in ("get", "describe"):
        out = set()
        for kind in rest[0].split("/")[0].split(","):  # get deploy,pods
            g, r = target(kind)
            out |= {(g, r, "get"), (g, r, "list")}
            if any(f.startswith(("-w", "--watch")) for f in flags):
                out.add((g, r, "watch"))
        if sub == "describe":
            out.add(("", "events", "list"))
        return out
    if sub == "logs":
        base = pods_of(rest[0]) if rest else {("", "pods", "list")}
        return base | {("", "pods/log", "get"), ("", "pods", "list")}
    if sub == "exec":  # also a bare mention such as `kubectl exec` in prose
        return (pods_of(rest[0]) if rest else {("", "pods", "get")}) | {("", "pods/exec", "create")}
    if sub == "cp":
        return {("", "pods", "get"), ("", "pods/exec", "create")}
    if sub == "port-forward":
        return (pods_of(rest[0]) if rest else {("", "pods", "get")}) | {("", "pods/portforward", "create")}
    if sub == "rollout":
        g, r = target(rest[1])
        if rest[0] == "restart":
            return {(g, r, "get"), (g, r, "patch")}
        if rest[0] in ("status", "history"):
            return {(g, r, "get"), (g, r, "watch"), ("apps", "replicasets", "list")}
        if rest[0] == "undo":
            return {(g, r, "get"), (g, r, "patch"), ("apps", "replicasets", "list")}
    if sub == "scale":
        g, r = target(rest[0])
        return {(g, r, "get"), (g, f"{r}/scale", "patch")}
    if sub == "delete":
        g, r = target(rest[0])
        return {(g, r, "delete"), (g, r, "list")}
    if sub == "wait":
        g, r = target(rest[0])
        return {(g, r, "get"), (g, r, "list"), (g, r, "watch")}
    if sub == "create" and rest and rest[0] == "job":
        return {("batch", "cronjobs", "get"), ("batch", "jobs", "create")}
    if sub == "top" and (not rest or rest[0] in ("pod", "pods", "po")):
        return {("metrics.k8s.io", "pods", "list")}
    if sub in ("auth", "config", "version", "api-resources"):
        return set()
    raise AssertionError(f"kubectl {sub} {' '.join(rest)}: no RBAC mapping in this test; add one")


KUBECTL = re.compile(r"(?<![\w/-])kubectl\s+([^`|;&\n)]*)")


def commands():
    """(runbook, line, namespace, argv) of every kubectl command; VM-only ones are marked."""
    out = []
    for path in RUNBOOKS:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "alias kubectl" in line:
                continue
            for m in KUBECTL.finditer(line):
                before = line[: m.start()]
                vm = before.rstrip().endswith("k3s")  # sudo k3s kubectl: on the VM, full access
                try:
                    argv = shlex.split(m.group(1), comments=True)
                except ValueError:
                    argv = m.group(1).split()
                ns = None
                clean = []
                i = 0
                while i < len(argv):
                    a = argv[i]
                    if a in ("-n", "--namespace") and i + 1 < len(argv):
                        ns = argv[i + 1]
                        i += 2
                        continue
                    if a.startswith("--namespace="):
                        ns = a.split("=", 1)[1]
                    elif a in ("-c", "--container", "-l", "--selector", "--since", "--tail", "-o", "--for",
                               "--replicas", "--timeout", "--from") and i + 1 < len(argv):
                        clean.append(a)
                        i += 2
                        continue
                    clean.append(a)
                    i += 1
                words = [a for a in clean if not a.startswith("-")]
                if not words or not re.match(r"^[a-z-]+$", words[0]):
                    continue  # prose ("kubectl access to ...") or a placeholder
                if words[0] not in ("get", "describe", "logs", "exec", "cp", "port-forward", "rollout", "scale",
                                    "delete", "wait", "create", "top", "auth", "config", "version", "api-resources",
                                    "apply", "edit", "patch", "annotate", "label", "drain", "cordon", "uncordon"):
                    continue  # "kubectl" in a sentence
                out.append((path.name, n, ns, vm, clean))
    return out


CMDS = commands()


def test_runbooks_have_kubectl_commands():
    assert len(CMDS) > 30, f"only {len(CMDS)} kubectl commands found: the parser broke"


def test_bootstrap_creates_a_deployer_and_an_operator_role():
    r = roles()
    assert set(r) == {"twist-deployer", "twist-operator"}


def test_ci_deployer_has_no_shell_or_port_forward_in_pods():
    deployer = roles()["twist-deployer"]
    for sub in ("pods/exec", "pods/portforward", "pods/attach"):
        assert not allowed(deployer, "", sub, "create"), f"CI's deployer must not {sub} (runbooks/README.md)"


def test_operator_can_do_everything_the_deployer_can():
    r = roles()
    for rule in r["twist-deployer"]:
        for g in rule["apiGroups"]:
            for res in rule["resources"]:
                for v in rule["verbs"]:
                    assert allowed(r["twist-operator"], g, res, v), f"operator lacks {v} {g}/{res}"


@pytest.mark.parametrize("entry", CMDS, ids=lambda e: f"{e[0]}:{e[1]}")
def test_runbook_kubectl_command_is_allowed_for_the_operator(entry):
    runbook, line, ns, vm, argv = entry
    if vm:
        return  # `sudo k3s kubectl` on the VM: cluster-admin by design
    required = needs(argv)
    if required is None or (ns is not None and ns not in ('"$NS"', "$NS", "twist-staging", "twist-production")):
        # cluster-wide or another namespace (monitoring, kube-system): runbooks/README.md sends these
        # to the VM; the operator Role cannot and must not do them
        assert "`-n monitoring`" in (ROOT / "runbooks" / "README.md").read_text()
        return
    operator = roles()["twist-operator"]
    missing = sorted(p for p in required if not allowed(operator, *p))
    assert not missing, (f"{runbook}:{line}: kubectl {' '.join(argv)} needs {missing}, which the operator Role "
                         "in k3s/bootstrap.sh does not grant")


def test_the_exec_and_port_forward_commands_are_why_the_operator_role_exists():
    # the decision in runbooks/README.md rests on these being used: if none are left, drop the rules
    used = {argv[0] for _, _, _, vm, argv in CMDS if not vm}
    assert {"exec", "port-forward"} <= used
    readme = (ROOT / "runbooks" / "README.md").read_text()
    assert "operator-<env>.kubeconfig" in readme and "no** `exec`" in readme
