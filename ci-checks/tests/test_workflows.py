"""Rules for .github/ that actionlint and the JSON schemas do not check.

Run by ci-checks/check.sh (pytest). Each test names the rule it enforces; a failure message
names the workflow, job and step that break it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY_WORKFLOWS = {"deploy-staging.yml": "staging", "deploy-production.yml": "production"}
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+){1,2}\b")
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if isinstance(data, dict) and True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


def workflow_files() -> list[Path]:
    files = sorted(p for p in WORKFLOWS.iterdir() if p.suffix in (".yml", ".yaml"))
    assert files, "no workflows"
    return files


ALL = workflow_files()
IDS = [p.name for p in ALL]


def steps(wf: dict):
    for job_id, job in wf["jobs"].items():
        for i, step in enumerate(job.get("steps", [])):
            yield job_id, i, step


def env_names(job: dict) -> str:
    return job.get("environment", {}).get("name") if isinstance(job.get("environment"), dict) else job.get("environment")


# --- the expected set of workflows -------------------------------------------------------------


def test_expected_workflows_exist():
    names = set(IDS)
    for required in ("ci.yml", "security.yml", "deploy-staging.yml", "deploy-production.yml", "rollback.yml"):
        assert required in names, f"missing .github/workflows/{required}"


def test_no_nested_workflow_folders():
    """The earlier rollback workflow sat in a folder GitHub never runs (reference §5)."""
    stray = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.yml")
        if ".github" in p.parts
        and p.parent != WORKFLOWS
        and "workflows" in p.parts
        and not any(part in ("node_modules", ".tools", "target") for part in p.parts)
    ]
    assert not stray, f"workflow files outside .github/workflows never run: {stray}"


# --- supply chain ------------------------------------------------------------------------------


def pin_violations(text: str) -> list[str]:
    bad = []
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not m:
            continue
        ref, rest = m.group(1).strip("'\""), m.group(2)
        if ref.startswith("./"):
            continue  # local action: versioned with the repository
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                bad.append(f"line {n}: {ref} (docker action without a digest)")
            continue
        if not SHA_PIN.match(ref):
            bad.append(f"line {n}: {ref} is not pinned by a 40-hex commit sha")
        elif not VERSION_COMMENT.search(rest):
            bad.append(f"line {n}: {ref} lacks a '# vX.Y.Z' version comment")
    return bad


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_actions_pinned_by_full_sha_with_version_comment(path: Path):
    bad = pin_violations(path.read_text())
    assert not bad, f"{path.name}:\n" + "\n".join(bad)


def test_each_action_pinned_to_one_sha_everywhere():
    seen: dict[str, set[str]] = {}
    for path in ALL:
        for m in re.finditer(r"uses:\s*([^@\s]+)@([0-9a-f]{40})\s*#\s*(\S+)", path.read_text()):
            repo = "/".join(m.group(1).split("/")[:2])
            seen.setdefault(repo, set()).add(f"{m.group(2)} {m.group(3)}")
    split = {k: v for k, v in seen.items() if len(v) > 1}
    assert not split, f"one action, several pins: {split}"


# --- least privilege, timeouts, concurrency ------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_permissions_declared_and_never_write_all(path: Path):
    wf = load(path)
    assert "permissions" in wf, f"{path.name}: no top-level permissions"
    top = wf["permissions"]
    assert top in ({}, {"contents": "read"}), f"{path.name}: top-level permissions must be {{}} or contents: read, got {top}"
    for job_id, job in wf["jobs"].items():
        perms = job.get("permissions", top)
        assert perms not in ("write-all", "read-all"), f"{path.name}/{job_id}: {perms}"
        if isinstance(perms, dict) and perms:
            writes = {k for k, v in perms.items() if v == "write"}
            allowed = {"packages", "deployments", "security-events", "id-token", "attestations"}
            if path.name == "uptime.yml":
                # the outside-in uptime check opens, comments on and closes its "uptime" issue
                allowed = allowed | {"issues"}
            assert writes <= allowed, f"{path.name}/{job_id}: unexpected write scopes {writes - allowed}"
            assert perms.get("contents") != "write", f"{path.name}/{job_id}: contents: write"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_every_job_has_a_timeout(path: Path):
    wf = load(path)
    missing = [j for j, job in wf["jobs"].items() if "timeout-minutes" not in job]
    assert not missing, f"{path.name}: jobs without timeout-minutes: {missing}"
    for j, job in wf["jobs"].items():
        assert 0 < int(job["timeout-minutes"]) <= 90, f"{path.name}/{j}: timeout {job['timeout-minutes']}"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_concurrency_declared(path: Path):
    wf = load(path)
    assert "concurrency" in wf, f"{path.name}: no workflow concurrency group"


@pytest.mark.parametrize(
    "name,group", [("deploy-staging.yml", "deploy-staging"), ("deploy-production.yml", "deploy-production"), ("rollback.yml", "deploy-${{ inputs.environment }}")]
)
def test_deploys_serialize_per_environment_and_never_cancel(name: str, group: str):
    wf = load(WORKFLOWS / name)
    assert wf["concurrency"] == {"group": group, "cancel-in-progress": False}, f"{name}: {wf['concurrency']}"
    edge_jobs = [j for j in wf["jobs"].values() if "terraform/scripts/" in json.dumps(j)]
    assert edge_jobs, f"{name}: no job runs terraform/scripts"
    for job in edge_jobs:
        env = env_names(job)
        want = {"group": f"edge-{env}", "cancel-in-progress": False}
        assert job.get("concurrency") == want, f"{name}: terraform job concurrency {job.get('concurrency')} != {want}"


# --- script injection ----------------------------------------------------------------------------


def run_expression_violations(wf: dict) -> list[str]:
    """Every ${{ }} inside a run: block (inputs, event text and step outputs all go through env:),
    and untrusted text (inputs, github.event, head_ref) in actions/github-script's script:."""
    bad = []
    for job_id, i, step in steps(wf):
        run = step.get("run")
        if run and EXPR.search(run):
            bad.append(f"{job_id} step {i} ({step.get('name', run.splitlines()[0])}): {EXPR.search(run).group(0)}")
        script = (step.get("with") or {}).get("script")
        if script and any(re.search(r"inputs\.|github\.event\.|github\.head_ref", e) for e in EXPR.findall(str(script))):
            bad.append(f"{job_id} step {i}: untrusted text in script:")
    return bad


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_no_expressions_in_run_blocks(path: Path):
    bad = run_expression_violations(load(path))
    assert not bad, f"{path.name}: expressions interpolated into run:\n" + "\n".join(bad)


def triggers(wf: dict) -> set[str]:
    on = wf["on"]
    return set(on) if isinstance(on, (dict, list)) else {on}


def test_no_pull_request_target():
    for path in ALL:
        assert "pull_request_target" not in load(path)["on"], f"{path.name} uses pull_request_target"


def test_checkout_does_not_persist_credentials():
    bad = []
    for path in ALL:
        for job_id, i, step in steps(load(path)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                if (step.get("with") or {}).get("persist-credentials") is not False:
                    bad.append(f"{path.name}/{job_id} step {i}")
    assert not bad, f"checkout without persist-credentials: false: {bad}"


# --- deploy workflows ----------------------------------------------------------------------------


def _secret_or_var_jobs(wf: dict):
    for job_id, job in wf["jobs"].items():
        text = json.dumps(job)
        uses_env_material = re.search(r"secrets\.(?!GITHUB_TOKEN\b)\w+|vars\.\w+", text)
        yield job_id, job, bool(uses_env_material)


@pytest.mark.parametrize("name,env", sorted(DEPLOY_WORKFLOWS.items()))
def test_deploy_jobs_reference_their_environment(name: str, env: str):
    wf = load(WORKFLOWS / name)
    deploying = []
    for job_id, job, uses_material in _secret_or_var_jobs(wf):
        job_env = env_names(job)
        if job_env is not None:
            assert job_env == env, f"{name}/{job_id}: environment {job_env!r}, expected {env!r}"
        if uses_material:
            assert job_env == env, f"{name}/{job_id} uses environment secrets/vars but is not in environment {env!r}"
        text = json.dumps(job)
        if any(s in text for s in ("helm-deploy.sh", "terraform/scripts/deploy.sh", "k3s-tunnel.sh open")):
            assert job_env == env, f"{name}/{job_id} deploys but is not in environment {env!r}"
            deploying.append(job_id)
    assert deploying, f"{name}: no deploy job"
    other = {"staging": "production", "production": "staging"}[env]
    assert f"twist-{other}" not in (WORKFLOWS / name).read_text()
    assert f"edge-{other}" not in (WORKFLOWS / name).read_text()


def test_production_is_workflow_dispatch_only():
    keys = triggers(load(WORKFLOWS / "deploy-production.yml"))
    assert keys == {"workflow_dispatch"}, f"deploy-production triggers: {keys}"


def test_production_promotes_staging_digests_without_building():
    text = (WORKFLOWS / "deploy-production.yml").read_text()
    assert "docker/build-push-action" not in text, "production must not build images"
    assert not re.search(r"docker (buildx )?build\b", text), "production must not build images"
    assert "deployment.sh find staging" in text, "production must read the staging release record"
    assert "helm-deploy.sh production" in text


def test_staging_runs_after_green_ci_on_main_only():
    wf = load(WORKFLOWS / "deploy-staging.yml")
    run = wf["on"]["workflow_run"]
    assert set(wf["on"]) == {"workflow_run"}
    assert run["workflows"] == ["CI"] and run["types"] == ["completed"] and run["branches"] == ["main"]
    assert load(WORKFLOWS / "ci.yml")["name"] == "CI", "workflow_run refers to the workflow named CI"
    gate = wf["jobs"]["images"]["if"]
    assert "conclusion == 'success'" in gate and "event == 'push'" in gate
    others = [j for j, job in wf["jobs"].items() if j != "images" and "images" not in job.get("needs", [])]
    assert not others, f"jobs not gated behind the green-CI check: {others}"


def test_rollback_inputs_and_environment():
    wf = load(WORKFLOWS / "rollback.yml")
    assert set(wf["on"]) == {"workflow_dispatch"}
    inputs = wf["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice" and inputs["environment"]["options"] == ["staging", "production"]
    assert inputs["component"]["type"] == "choice" and inputs["component"]["options"] == ["backend", "edge", "both"]
    assert inputs["revision"]["required"] is False
    for job_id, job in wf["jobs"].items():
        assert env_names(job) == "${{ inputs.environment }}", f"rollback/{job_id} must run in the chosen environment"
    assert inputs["dry_run"]["type"] == "boolean" and inputs["dry_run"]["default"] is False
    text = (WORKFLOWS / "rollback.yml").read_text()
    assert "scripts/github/helm-rollback.sh" in text and "terraform/scripts/rollback.sh" in text and "smoke.sh" in text
    assert "helm rollback" not in text.replace("helm rollback of", ""), "rollback goes through helm-rollback.sh (last good revision)"
    assert "twist-data" not in text, "a rollback never touches the data release"
    # the edge goes back by version id: no rebuild, no Terraform, so no state or TF_VAR secrets
    assert "npm run build" not in text and "setup-terraform" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert "--expect-bundle" in text


def test_no_ssh_keyscan_and_pinned_host_key():
    for path in [*ALL, *sorted((ROOT / "scripts" / "github").glob("*.sh"))]:
        text = path.read_text()
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "ssh-keyscan" not in code, f"{path.name}: ssh-keyscan (trust on first use)"
        assert "StrictHostKeyChecking=no" not in code and "accept-new" not in code, f"{path.name}: host key not enforced"
    tunnel = (ROOT / "scripts" / "github" / "k3s-tunnel.sh").read_text()
    assert "StrictHostKeyChecking=yes" in tunnel and "VM_SSH_KNOWN_HOSTS" in tunnel


def test_helm_deploys_are_atomic_and_by_digest():
    text = (ROOT / "scripts" / "github" / "helm-deploy.sh").read_text()
    assert "--atomic" in text and "--wait" in text and "helm test" in text
    assert "@sha256:[0-9a-f]{64}" in text, "image references must be digests"


# --- repository settings as code -----------------------------------------------------------------


def test_ruleset_requires_every_ci_and_security_job():
    ruleset = json.loads((ROOT / ".github" / "rulesets" / "main.json").read_text())
    types = {r["type"]: r for r in ruleset["rules"]}
    assert {"pull_request", "non_fast_forward", "deletion", "required_status_checks"} <= set(types)
    assert ruleset["enforcement"] == "active" and ruleset["bypass_actors"] == []
    required = {c["context"] for c in types["required_status_checks"]["parameters"]["required_status_checks"]}
    assert all(c["integration_id"] == 15368 for c in types["required_status_checks"]["parameters"]["required_status_checks"])

    produced = set()
    for name in ("ci.yml", "security.yml"):
        for job_id, job in load(WORKFLOWS / name)["jobs"].items():
            label = job.get("name", job_id)
            matrix = (job.get("strategy") or {}).get("matrix") or {}
            keys = [k for k in matrix if k not in ("include", "exclude")]
            if keys and "${{" in label:
                (key,) = keys
                for value in matrix[key]:
                    produced.add(label.replace("${{ matrix.%s }}" % key, str(value)))
            else:
                produced.add(label)
    assert required == produced, f"required but not produced: {required - produced}; produced but not required: {produced - required}"


def test_dependabot_covers_every_ecosystem():
    cfg = load(ROOT / ".github" / "dependabot.yml")
    ecosystems = {u["package-ecosystem"] for u in cfg["updates"]}
    assert {"maven", "npm", "github-actions", "terraform", "docker"} <= ecosystems
    npm = next(u for u in cfg["updates"] if u["package-ecosystem"] == "npm")
    assert npm["directory"] == "/edge"


def test_codeowners_cover_github_folder():
    text = (ROOT / ".github" / "CODEOWNERS").read_text()
    assert re.search(r"^/\.github/\s+@", text, re.M)
    assert re.search(r"^\*\s+@", text, re.M)


def test_gitleaks_allowlist_entries_are_justified_and_exact():
    import tomllib

    cfg = tomllib.loads((ROOT / ".gitleaks.toml").read_text())
    assert cfg["extend"]["useDefault"] is True
    for entry in cfg.get("allowlists", []):
        assert len(entry.get("description", "")) > 20, f"allow-list entry without a justification: {entry}"
        for rx in entry.get("regexes", []):
            assert rx.startswith("^") and rx.endswith("$"), f"allow-list regex must match one exact value: {rx}"
        for p in entry.get("paths", []):
            assert not p.endswith((".*", ".*$")), f"allow-list path too broad: {p}"
    assert "allowlist" not in cfg, "use [[allowlists]] entries, each with a description"


def test_secrets_doc_lists_every_secret_and_variable_used():
    doc = (ROOT / "docs" / "secrets.md").read_text()
    used = set()
    for path in ALL:
        used |= set(re.findall(r"secrets\.([A-Z0-9_]+)", path.read_text()))
        used |= set(re.findall(r"vars\.([A-Z0-9_]+)", path.read_text()))
    used.discard("GITHUB_TOKEN")
    missing = sorted(n for n in used if f"`{n}`" not in doc)
    assert not missing, f"docs/secrets.md does not document: {missing}"


# --- the rules themselves catch what they should (bad samples) -----------------------------------


def _wf(text: str) -> dict:
    data = yaml.safe_load(text)
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize(
    "line",
    [
        "      - uses: actions/checkout@v4",
        "      - uses: actions/checkout@main",
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",  # no version comment
        "      - uses: actions/checkout@3d3c42e # v7.0.1",  # short sha
        "      - uses: docker://alpine:3.20",
    ],
)
def test_pin_rule_rejects(line: str):
    assert pin_violations(line), line


def test_pin_rule_accepts_sha_with_comment_and_local_actions():
    ok = "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n      - uses: ./.github/actions/x\n"
    assert pin_violations(ok) == []


@pytest.mark.parametrize(
    "run",
    [
        "echo ${{ github.event.pull_request.title }}",
        "deploy ${{ inputs.environment }}",
        "echo ${{ steps.x.outputs.y }}",
        "echo ${{github.head_ref}}",
    ],
)
def test_injection_rule_rejects(run: str):
    wf = _wf(f"on: push\njobs:\n  j:\n    steps:\n      - run: {json.dumps(run)}\n")
    assert run_expression_violations(wf), run


def test_injection_rule_accepts_env_indirection():
    wf = _wf(
        "on: push\njobs:\n  j:\n    steps:\n      - env:\n          T: ${{ github.event.pull_request.title }}\n        run: echo \"$T\"\n"
    )
    assert run_expression_violations(wf) == []


def test_trigger_rule_sees_every_form():
    assert triggers(_wf("on: [push, workflow_dispatch]\njobs: {}")) == {"push", "workflow_dispatch"}
    assert triggers(_wf("on: workflow_dispatch\njobs: {}")) == {"workflow_dispatch"}
    assert triggers(_wf("on:\n  workflow_dispatch:\n  push:\njobs: {}")) == {"push", "workflow_dispatch"}


# --- GitHub CI runs everything bin/test runs -------------------------------------------------------


def bin_test_parts() -> list[str]:
    text = (ROOT / "bin" / "test").read_text()
    m = re.search(r"^all_parts=\(([^)]*)\)", text, re.M)
    assert m, "bin/test has no all_parts=(...) line"
    return m.group(1).split()


def job_parts(wf: dict) -> dict[str, set[str]]:
    """part -> the jobs whose run: steps call `bin/test <part> [<part>...]`."""
    found: dict[str, set[str]] = {}
    for job_id, _, step in steps(wf):
        for line in str(step.get("run", "")).splitlines():
            m = re.match(r"^\s*(?:\./)?bin/test((?:\s+[a-z0-9-]+)+)\s*$", line)
            if m:
                for part in m.group(1).split():
                    found.setdefault(part, set()).add(job_id)
    return found


def uncovered_parts(parts: list[str], wf: dict) -> list[str]:
    jobs = job_parts(wf)
    return [p for p in parts if p not in jobs]


def test_every_bin_test_part_runs_in_a_ci_job():
    """Data-driven: whatever bin/test's all_parts lists (parts added later included) must be
    run by some ci.yml job, and ci.yml names no part bin/test does not have."""
    parts = bin_test_parts()
    assert parts, "bin/test all_parts is empty"
    ci = load(WORKFLOWS / "ci.yml")
    missing = uncovered_parts(parts, ci)
    assert not missing, f"bin/test parts no ci.yml job runs (`bin/test <part>` in a run: step): {missing}"
    unknown = sorted(set(job_parts(ci)) - set(parts))
    assert not unknown, f"ci.yml runs bin/test parts that bin/test does not know: {unknown}"


def test_part_coverage_rule_sees_a_missing_part():
    wf = _wf("on: push\njobs:\n  a:\n    steps:\n      - run: bin/test java edge\n  b:\n    steps:\n      - run: |\n          make x\n          bin/test ci\n")
    assert uncovered_parts(["java", "edge", "ci", "e2e"], wf) == ["e2e"]
    assert job_parts(wf) == {"java": {"a"}, "edge": {"a"}, "ci": {"b"}}


def test_main_pushes_get_one_concurrency_group_per_commit():
    """GitHub keeps one pending run per concurrency group and cancels the older pending one, so
    a group per ref would skip commits on main; deploy-staging needs a CI run of every commit."""
    for name in ("ci.yml", "security.yml"):
        group = load(WORKFLOWS / name)["concurrency"]["group"]
        assert "github.sha" in group and "github.ref" in group, f"{name}: {group}"


def test_docs_name_only_workflow_inputs_that_exist():
    inputs = set()
    for path in ALL:
        on = load(path)["on"]
        if isinstance(on, dict) and isinstance(on.get("workflow_dispatch"), dict):
            inputs |= set((on["workflow_dispatch"].get("inputs") or {}).keys())
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "runbooks").glob("*.md")), ROOT / "k3s" / "README.md"]
    bad = []
    for doc in docs:
        if doc.exists():
            for name in re.findall(r"\binputs? `([a-z_]+)`", doc.read_text()):
                if name not in inputs:
                    bad.append(f"{doc.relative_to(ROOT)}: input `{name}`")
    assert not bad, f"docs name workflow inputs that no workflow_dispatch has: {bad}"


@pytest.mark.parametrize("name", sorted(DEPLOY_WORKFLOWS))
def test_release_records_carry_the_edge_version_id_and_smoke_rolls_back(name: str):
    """rollback.yml goes back by Cloudflare version id, so every release record must hold it:
    terraform/scripts/deploy.sh writes worker_version_id to the tf step's outputs."""
    wf = load(WORKFLOWS / name)
    deploy = wf["jobs"]["deploy"]
    tf = [s for s in deploy["steps"] if "terraform/scripts/deploy.sh" in str(s.get("run", ""))]
    assert len(tf) == 1 and tf[0].get("id") == "tf", f"{name}: the terraform step needs id: tf"
    assert deploy["outputs"]["edge_version_id"] == "${{ steps.tf.outputs.worker_version_id }}"
    record = wf["jobs"]["record"]
    assert record["env"]["EDGE_VERSION_ID"] == "${{ needs.deploy.outputs.edge_version_id }}"
    assert "edge_version_id: $version" in json.dumps(record["steps"])
    helm = [s for s in deploy["steps"] if "helm-deploy.sh" in str(s.get("run", ""))]
    assert helm and helm[0]["env"].get("HELM_DEPLOY_SMOKE_URL") == "${{ vars.API_BASE_URL }}", \
        f"{name}: the smoke check must run inside helm-deploy.sh, which rolls back when it fails"
