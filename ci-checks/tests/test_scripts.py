"""Behaviour of the scripts the workflows call (scripts/github), run for real with stand-ins for
the programs that need GitHub, a VM or Docker (gh, ssh, kubectl, docker): promotion and rollback
records, the helm values (rendered with the real charts when present), smoke checks, the SSH
tunnel's host-key pinning and the ruleset script.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "github"
FAKES = Path(__file__).resolve().parent / "fakes"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
SHA_A, SHA_B, SHA_C = "a" * 40, "b" * 40, "c" * 40


def run(args, env=None, **kw):
    full = {**os.environ, **(env or {})}
    return subprocess.run(args, capture_output=True, text=True, env=full, **kw)


def stub(dir_: Path, name: str, body: str) -> None:
    p = dir_ / name
    p.write_text("#!/usr/bin/env bash\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IEXEC)


# --- deployment.sh: promotion and rollback records ------------------------------------------------


@pytest.fixture
def gh(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    shutil.copy(FAKES / "gh", bin_ / "gh")
    (bin_ / "gh").chmod(0o755)
    state = tmp_path / "state.json"
    log = tmp_path / "gh.log"
    log.write_text("")

    def payload(release, auth=D1, edge=None):
        return {"release": release, "auth_image": f"ghcr.io/acme/twist-auth-service@{auth}",
                "api_image": f"ghcr.io/acme/twist-influencer-api@{auth}", "edge_release": edge or release,
                "edge_bundle_sha256": "f" * 64, "run_url": "https://example.invalid/run"}

    deployments = [
        # newest first by id: 5 failed, 4 succeeded (C), 3 is a production record,
        # 2 succeeded (B), 1 succeeded (A); 6 is a rollback record (other task)
        {"id": 1, "environment": "staging", "task": "deploy:release", "sha": SHA_A, "payload": payload(SHA_A), "statuses": ["success"]},
        {"id": 2, "environment": "staging", "task": "deploy:release", "sha": SHA_B, "payload": payload(SHA_B, D2), "statuses": ["success"]},
        {"id": 3, "environment": "production", "task": "deploy:release", "sha": SHA_A, "payload": payload(SHA_A), "statuses": ["success"]},
        {"id": 4, "environment": "staging", "task": "deploy:release", "sha": SHA_C, "payload": payload(SHA_C), "statuses": ["success", "in_progress"]},
        {"id": 5, "environment": "staging", "task": "deploy:release", "sha": "d" * 40, "payload": payload("d" * 40), "statuses": ["failure"]},
        {"id": 6, "environment": "staging", "task": "rollback", "sha": SHA_A, "payload": {"component": "edge"}, "statuses": ["success"]},
    ]
    state.write_text(json.dumps({"deployments": deployments, "rulesets": []}))
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "FAKE_GH_STATE": str(state), "FAKE_GH_LOG": str(log),
           "GITHUB_REPOSITORY": "acme/twist", "GITHUB_RUN_ID": "77", "GH_TOKEN": "x"}
    return env, state, log


def test_find_promotes_the_newest_successful_staging_release(gh):
    env, _, _ = gh
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["release"] == SHA_C  # 5 failed, so 4 is the newest good one


def test_find_a_given_release_by_leading_sha(gh):
    env, _, _ = gh
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", SHA_B[:12]], env)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["release"] == SHA_B and p["auth_image"].endswith(D2)


def test_find_refuses_a_release_staging_never_ran_successfully(gh):
    env, _, _ = gh
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", "d" * 40], env)
    assert r.returncode != 0 and "no successful staging release" in r.stderr


def test_previous_edge_is_the_release_before_the_current_one(gh):
    env, _, _ = gh
    r = run(["bash", SCRIPTS / "deployment.sh", "previous-edge", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == SHA_B


def test_create_and_status_send_the_payload_and_state(gh, tmp_path):
    env, state, log = gh
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps({"release": SHA_A, "auth_image": "x@" + D1}))
    r = run(["bash", SCRIPTS / "deployment.sh", "create", "production", SHA_A, "deploy:release", payload], env)
    assert r.returncode == 0, r.stderr
    dep_id = r.stdout.strip()
    r = run(["bash", SCRIPTS / "deployment.sh", "status", dep_id, "success", "https://api.twist.example"], env)
    assert r.returncode == 0, r.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    create = next(c for c in calls if c["method"] == "POST" and c["endpoint"].endswith("/deployments"))
    assert create["body"]["environment"] == "production" and create["body"]["production_environment"] is True
    assert create["body"]["required_contexts"] == [] and create["body"]["payload"]["auth_image"] == "x@" + D1
    status = next(c for c in calls if c["endpoint"].endswith("/statuses") and c["method"] == "POST")
    assert status["fields"]["state"] == "success" and status["fields"]["log_url"].endswith("/actions/runs/77")
    assert status["fields"]["environment_url"] == "https://api.twist.example"


def test_create_refuses_unknown_environment(gh, tmp_path):
    env, _, _ = gh
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    r = run(["bash", SCRIPTS / "deployment.sh", "create", "qa", SHA_A, "deploy:release", payload], env)
    assert r.returncode == 2


# --- apply-ruleset.sh -------------------------------------------------------------------------------


def test_apply_ruleset_creates_then_updates(gh):
    env, state, log = gh
    r = run(["bash", SCRIPTS / "apply-ruleset.sh", "acme/twist"], env)
    assert r.returncode == 0, r.stderr
    assert "created ruleset" in r.stdout
    r = run(["bash", SCRIPTS / "apply-ruleset.sh", "acme/twist"], env)
    assert r.returncode == 0, r.stderr
    assert "updated ruleset 100" in r.stdout
    rulesets = json.loads(state.read_text())["rulesets"]
    assert len(rulesets) == 1 and rulesets[0]["name"] == "main"
    sent = [json.loads(line) for line in log.read_text().splitlines() if '"PUT"' in line][0]["body"]
    assert sent == json.loads((ROOT / ".github" / "rulesets" / "main.json").read_text())


def test_apply_ruleset_dry_run_changes_nothing(gh):
    env, state, log = gh
    r = run(["bash", SCRIPTS / "apply-ruleset.sh", "--dry-run", "acme/twist"], env)
    assert r.returncode == 0, r.stderr
    assert "would create a ruleset" in r.stdout
    assert json.loads(state.read_text())["rulesets"] == []


# --- helm-deploy.sh -----------------------------------------------------------------------------------


def test_helm_deploy_refuses_tags_and_mixed_registries():
    r = run(["bash", SCRIPTS / "helm-deploy.sh", "staging", "ghcr.io/acme/twist-auth-service:latest", "ghcr.io/acme/twist-influencer-api@" + D1])
    assert r.returncode == 2 and "not a digest reference" in r.stderr
    r = run(["bash", SCRIPTS / "helm-deploy.sh", "staging", "ghcr.io/acme/twist-auth-service@" + D1, "ghcr.io/other/twist-influencer-api@" + D1])
    assert r.returncode == 2 and "one registry" in r.stderr
    r = run(["bash", SCRIPTS / "helm-deploy.sh", "qa", "ghcr.io/a/b@" + D1, "ghcr.io/a/c@" + D1])
    assert r.returncode == 2


def test_helm_deploy_runs_data_then_atomic_app_then_helm_test(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "helm.log"
    stub(bin_, "helm", f'echo "$*" >>"{log}"\n')
    # the registry answer pin-base-images.sh reads for every third-party image
    stub(bin_, "docker", f"echo '{{\"digest\": \"{D2}\"}}'\n")
    r = run(["bash", SCRIPTS / "helm-deploy.sh", "staging", "ghcr.io/acme/twist-auth-service@" + D1, "ghcr.io/acme/twist-influencer-api@" + D2],
            {"PATH": f"{bin_}:{os.environ['PATH']}", "CLOUDFLARE_ACCOUNT_ID": "acct123"})
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert "--create-namespace" not in calls[0], "the deployer role cannot create namespaces"
    assert f"postgresql.image.digest={D2}" in calls[0] and f"redis.image.digest={D2}" in calls[0]
    assert "backup.s3.endpoint=https://acct123.r2.cloudflarestorage.com" in calls[0]
    assert f"tunnel.image.digest={D2}" in calls[1]
    assert calls[0].startswith("upgrade --install twist-data ") and "-n twist-staging" in calls[0]
    assert calls[1].startswith("upgrade --install twist ") and "--atomic" in calls[1] and "--wait" in calls[1]
    assert f"authService.image.digest={D1}" in calls[1] and f"influencerApi.image.digest={D2}" in calls[1]
    assert "image.registry=ghcr.io/acme" in calls[1]
    assert calls[2].startswith("test twist -n twist-staging")
    assert "twist-data" not in calls[1]


def _helm():
    for cand in (ROOT / ".tools" / "ci-checks" / "bin" / "helm", shutil.which("helm")):
        if cand and Path(cand).exists():
            return str(cand)
    return None


@pytest.mark.skipif(not (ROOT / "charts" / "twist" / "Chart.yaml").exists(), reason="charts/twist not in the tree yet")
@pytest.mark.parametrize("env_name", ["staging", "production", "ci"])
def test_chart_renders_the_deploy_digests(env_name):
    helm = _helm()
    assert helm, "helm not installed (ci-checks/check.sh installs it)"
    # Only the app images are this script's business: test pods and third-party images (whose
    # digests the chart's values pin) are checked by charts/scripts/check.sh.
    r = run(["bash", SCRIPTS / "helm-deploy.sh", env_name, "ghcr.io/acme/twist-auth-service@" + D1, "ghcr.io/acme/twist-influencer-api@" + D2,
             "--set", "tests.enabled=false", "--set", "image.requireDigest=false"],
            {"HELM_DEPLOY_TEMPLATE": "1", "PATH": f"{Path(helm).parent}:{os.environ['PATH']}"})
    assert r.returncode == 0, r.stderr
    images = set()
    for doc in yaml.safe_load_all(r.stdout):
        if doc and doc.get("kind") == "Deployment":
            for c in doc["spec"]["template"]["spec"]["containers"]:
                images.add(c["image"])
    auth = [i for i in images if "twist-auth-service" in i]
    api = [i for i in images if "twist-influencer-api" in i]
    assert auth and all(i.startswith("ghcr.io/acme/twist-auth-service") and i.endswith("@" + D1) for i in auth), images
    assert api and all(i.startswith("ghcr.io/acme/twist-influencer-api") and i.endswith("@" + D2) for i in api), images


# --- smoke.sh -----------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    codes: dict = {}

    def do_GET(self):  # noqa: N802
        code = self.codes.get(self.path, 404)
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b'{"status":"x"}')

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_smoke_passes_on_200(server):
    _, url = server
    _Handler.codes = {"/health": 200, "/ready": 200}
    r = run(["bash", SCRIPTS / "smoke.sh", url], {"SMOKE_ATTEMPTS": "2", "SMOKE_DELAY_SECONDS": "0"})
    assert r.returncode == 0, r.stderr
    assert f"{url}/ready 200" in r.stdout


def test_smoke_fails_when_not_ready(server):
    _, url = server
    _Handler.codes = {"/health": 200, "/ready": 503}
    r = run(["bash", SCRIPTS / "smoke.sh", url], {"SMOKE_ATTEMPTS": "2", "SMOKE_DELAY_SECONDS": "0"})
    assert r.returncode == 1 and "/ready answered 503" in r.stderr


def test_smoke_refuses_plain_http_to_remote_hosts():
    r = run(["bash", SCRIPTS / "smoke.sh", "http://api.twist.example"])
    assert r.returncode == 2


# --- k3s-tunnel.sh ------------------------------------------------------------------------------------


def _tunnel_env(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "ssh.log"
    stub(bin_, "ssh", f'echo "$*" >>"{log}"\n')
    stub(bin_, "kubectl", "exit 0\n")
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path), "GITHUB_ENV": str(tmp_path / "github_env"),
           "VM_SSH_HOST": "vm.twist.example", "VM_SSH_USER": "deploy", "VM_SSH_PRIVATE_KEY": "KEY",
           "VM_SSH_KNOWN_HOSTS": "vm.twist.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPinned",
           "KUBE_CONFIG": "apiVersion: v1"}
    return env, log


def test_tunnel_pins_the_host_key(tmp_path):
    env, log = _tunnel_env(tmp_path)
    r = run(["bash", SCRIPTS / "k3s-tunnel.sh", "open"], env)
    assert r.returncode == 0, r.stderr
    cmd = log.read_text()
    assert "StrictHostKeyChecking=yes" in cmd and "GlobalKnownHostsFile=/dev/null" in cmd
    kh = re.search(r"UserKnownHostsFile=(\S+)", cmd).group(1)
    assert Path(kh).read_text().strip() == env["VM_SSH_KNOWN_HOSTS"]
    assert "-L 127.0.0.1:16443:127.0.0.1:6443" in cmd
    assert f"KUBECONFIG={tmp_path}/twist-kubeconfig" in (tmp_path / "github_env").read_text()
    r = run(["bash", SCRIPTS / "k3s-tunnel.sh", "close"], env)
    assert r.returncode == 0 and not (tmp_path / "twist-ssh").exists()


def test_tunnel_refuses_without_a_pinned_host_key(tmp_path):
    env, log = _tunnel_env(tmp_path)
    env["VM_SSH_KNOWN_HOSTS"] = ""
    r = run(["bash", SCRIPTS / "k3s-tunnel.sh", "open"], env)
    assert r.returncode != 0 and "VM_SSH_KNOWN_HOSTS" in r.stderr
    assert not log.exists() or log.read_text() == ""
