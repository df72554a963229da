"""One source of truth for the TWIST image names (issue 17, item 3): what the deploy workflow
pushes = what the chart renders by default = what the documented manual deploy renders.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
COMPONENTS = {"authService": "auth-service", "influencerApi": "influencer-api"}


def chart_repositories() -> dict[str, str]:
    values = yaml.safe_load((ROOT / "charts" / "twist" / "values.yaml").read_text())
    return {key: values[key]["image"]["repository"] for key in COMPONENTS}


def pushed_names(workflow: str) -> set[str]:
    text = (ROOT / ".github" / "workflows" / workflow).read_text()
    # tags: <registry expression>/<name>:<tag>
    return set(re.findall(r"^\s*tags:\s*\$\{\{[^}]*\}\}/([a-z0-9._-]+):", text, re.M))


def test_deploy_staging_pushes_exactly_the_chart_names():
    assert pushed_names("deploy-staging.yml") == set(chart_repositories().values())


def test_rehearsal_deploys_the_chart_names_too():
    # ci.yml's k3s job runs bin/test rehearsal, which names the images it deploys here
    text = (ROOT / "scripts" / "rehearsal" / "images.sh").read_text()
    for repo in chart_repositories().values():
        assert f"/{repo}:" in text, f"scripts/rehearsal/images.sh does not deploy {repo}"


def test_deploy_outputs_name_the_pushed_images():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy-staging.yml").read_text())
    outputs = wf["jobs"]["images"]["outputs"]
    repos = chart_repositories()
    assert f"/{repos['authService']}@" in outputs["auth_image"]
    assert f"/{repos['influencerApi']}@" in outputs["api_image"]


def _helm():
    for cand in (ROOT / ".tools" / "ci-checks" / "bin" / "helm", ROOT / ".tools" / "bin" / "helm", shutil.which("helm")):
        if cand and Path(cand).exists():
            return str(cand)
    return None


def readme_manual_deploy() -> str:
    text = (ROOT / "k3s" / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    found = [b for b in blocks if "scripts/github/helm-deploy.sh staging" in b]
    assert len(found) == 1, "k3s/README.md step 7: one block with the manual helm-deploy.sh staging"
    return found[0]


def test_readme_manual_deploy_renders_the_pushed_names_by_digest(tmp_path):
    """Runs the documented step-7 block: image variables from the README text, the documented
    ghcr-public.sh and pin-base-images.sh calls replaced by stand-ins, helm-deploy.sh in its
    template mode (same values, no cluster)."""
    helm = _helm()
    assert helm, "helm not installed (ci-checks/check.sh installs it)"
    block = readme_manual_deploy()
    assign = dict(re.findall(r"^(auth|api)=(.+)$", block, re.M))
    assert set(assign) == {"auth", "api"}, "the block names both images in auth= and api="
    auth = assign["auth"].replace("<owner>", "acme").replace("sha256:<auth digest>", D1)
    api = assign["api"].replace("<owner>", "acme").replace("sha256:<api digest>", D2)
    assert 'ghcr-public.sh "$auth" "$api"' in block, "the first-deploy GHCR check runs before the deploy"
    assert re.search(r'helm-deploy\.sh staging "\$auth" "\$api"', block)
    record = {k: f"{v.split('@')[0]}@{D3}" for k, v in (
        line.split("=", 1) for line in (ROOT / "versions.env").read_text().splitlines()
        if re.match(r"^(CLOUDFLARED|JDK_TEST|POSTGRES|REDIS|RCLONE)_IMAGE=", line))}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "github" / "helm-deploy.sh"), "staging", auth, api],
                       capture_output=True, text=True,
                       env={**os.environ, "HELM_DEPLOY_TEMPLATE": "1", "THIRD_PARTY_IMAGES": json.dumps(record),
                            "PATH": f"{Path(helm).parent}:{os.environ['PATH']}"})
    assert r.returncode == 0, r.stderr
    images = set()
    for doc in yaml.safe_load_all(r.stdout):
        if doc and doc.get("kind") in ("Deployment", "Pod", "Job"):
            spec = doc["spec"]["template"]["spec"] if doc["kind"] != "Pod" else doc["spec"]
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                images.add(c["image"])
    repos = chart_repositories()
    want = {f"ghcr.io/acme/{repos['authService']}:0.1.0@{D1}", f"ghcr.io/acme/{repos['influencerApi']}:0.1.0@{D2}"}
    assert want <= images, images
    assert not any("/twist/" in i for i in images), f"a name CI never pushes: {images}"
    # every other image is a recorded third-party digest
    assert all(i in want or i.endswith("@" + D3) for i in images), images


@pytest.mark.parametrize("env", ["staging", "production"])
def test_values_headers_point_at_the_one_deploy_path(env):
    head = (ROOT / "charts" / "twist" / f"values-{env}.yaml").read_text().split("\nmode:")[0]
    assert "scripts/github/helm-deploy.sh" in head and "image.registry=ghcr.io/<owner>" in head
    assert "twist/auth-service" not in head and "twist/influencer-api" not in head
