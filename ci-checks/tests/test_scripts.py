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


VID = {k: f"{k * 8}-0000-4000-8000-{k * 12}" for k in "abcd"}  # Cloudflare version ids (uuid)


def _payload(release, auth=D1, vid=None):
    return {"release": release, "auth_image": f"ghcr.io/acme/twist-auth-service@{auth}",
            "api_image": f"ghcr.io/acme/twist-influencer-api@{auth}", "edge_release": release,
            "edge_version_id": vid or "", "edge_bundle_sha256": "f" * 64, "run_url": "https://example.invalid/run"}


def _gh_env(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    shutil.copy(FAKES / "gh", bin_ / "gh")
    (bin_ / "gh").chmod(0o755)
    state = tmp_path / "state.json"
    log = tmp_path / "gh.log"
    log.write_text("")
    state.write_text(json.dumps({"deployments": [], "rulesets": []}))
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "FAKE_GH_STATE": str(state), "FAKE_GH_LOG": str(log),
           "GITHUB_REPOSITORY": "acme/twist", "GITHUB_RUN_ID": "77", "GH_TOKEN": "x"}
    return env, state, log


@pytest.fixture
def gh(tmp_path):
    """The fake gh with an empty repository; `record` adds a deployment the way the workflows do
    (deployment.sh create, then status), so the state is the one GitHub itself would hold."""
    return _gh_env(tmp_path)


def record(env, tmp_path, environment, sha, task, payload, outcome):
    f = tmp_path / f"payload-{sha[:6]}-{task.replace(':', '_')}.json"
    f.write_text(json.dumps(payload))
    r = run(["bash", SCRIPTS / "deployment.sh", "create", environment, sha, task, f], env)
    assert r.returncode == 0, r.stderr
    dep_id = r.stdout.strip()
    for state in ("in_progress", outcome):
        r = run(["bash", SCRIPTS / "deployment.sh", "status", dep_id, state], env)
        assert r.returncode == 0, r.stderr
    return int(dep_id)


@pytest.fixture(scope="module")
def history_state(tmp_path_factory):
    """Staging released A, B, C (success) and D (failure); production released A. Built once
    through deployment.sh and the fake gh; each test starts from a copy."""
    tmp = tmp_path_factory.mktemp("history")
    env, state, _ = _gh_env(tmp)
    record(env, tmp, "staging", SHA_A, "deploy:release", _payload(SHA_A, vid=VID["a"]), "success")
    record(env, tmp, "production", SHA_A, "deploy:release", _payload(SHA_A, vid=VID["a"]), "success")
    record(env, tmp, "staging", SHA_B, "deploy:release", _payload(SHA_B, D2, vid=VID["b"]), "success")
    record(env, tmp, "staging", SHA_C, "deploy:release", _payload(SHA_C, vid=VID["c"]), "success")
    record(env, tmp, "staging", "d" * 40, "deploy:release", _payload("d" * 40), "failure")
    return state.read_text()


@pytest.fixture
def history(gh, history_state):
    env, state, log = gh
    state.write_text(history_state)
    return env, state, log


def newest_status(state, sha, environment="staging", task="deploy:release"):
    dep = next(d for d in json.loads(state.read_text())["deployments"]
               if d["sha"] == sha and d["environment"] == environment and d["task"] == task)
    return dep["statuses"][0]


def test_fake_gh_marks_earlier_staging_records_inactive_as_github_does(history):
    """The state the scripts must cope with: GitHub's auto_inactive leaves every earlier
    successful staging record with `inactive` as its newest status; production is untouched."""
    _, state, _ = history
    assert newest_status(state, SHA_A) == "inactive"
    assert newest_status(state, SHA_B) == "inactive"
    assert newest_status(state, SHA_C) == "inactive"  # the failed D's statuses marked it too
    assert newest_status(state, SHA_A, "production") == "success"


def test_find_promotes_the_newest_successful_staging_release(history):
    env, _, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["release"] == SHA_C  # D failed, so C is the newest good one


def test_find_an_older_release_although_github_made_it_inactive(history):
    env, state, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", SHA_B[:12]], env)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["release"] == SHA_B and p["auth_image"].endswith(D2)


def test_find_refuses_a_release_staging_never_ran_successfully(history):
    env, _, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", "d" * 40], env)
    assert r.returncode != 0 and "no successful staging release" in r.stderr
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", "not-a-sha"], env)
    assert r.returncode == 2


def test_find_after_a_staging_rollback_promotes_what_staging_went_back_to(history, tmp_path):
    env, state, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "release-of", "staging", D2, D2], env)
    assert r.returncode == 0 and r.stdout.strip() == SHA_B, r.stderr
    record(env, tmp_path, "staging", SHA_C, "rollback",
           {"component": "backend", "helm_revision": "3", "release": SHA_B}, "success")
    assert newest_status(state, SHA_C) == "inactive"
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["release"] == SHA_B


def test_find_after_a_rollback_naming_no_release_asks_for_one(history, tmp_path):
    env, _, _ = history
    record(env, tmp_path, "staging", SHA_C, "rollback", {"component": "edge", "edge_version_id": VID["b"]}, "success")
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging"], env)
    assert r.returncode == 1 and "give the release to promote" in r.stderr
    r = run(["bash", SCRIPTS / "deployment.sh", "find", "staging", SHA_C], env)
    assert r.returncode == 0 and json.loads(r.stdout)["release"] == SHA_C


def test_previous_edge_is_the_release_before_the_current_one(history):
    env, _, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "previous-edge", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"edge_version_id": VID["b"], "edge_bundle_sha256": "f" * 64, "edge_release": SHA_B}


def test_previous_edge_after_an_edge_rollback_goes_further_back(history, tmp_path):
    env, _, _ = history
    record(env, tmp_path, "staging", SHA_C, "rollback",
           {"component": "edge", "edge_version_id": VID["b"], "edge_release": SHA_B}, "success")
    r = run(["bash", SCRIPTS / "deployment.sh", "previous-edge", "staging"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["edge_version_id"] == VID["a"]
    # and once at the oldest one, there is nothing before it
    record(env, tmp_path, "staging", SHA_C, "rollback",
           {"component": "edge", "edge_version_id": VID["a"], "edge_release": SHA_A}, "success")
    r = run(["bash", SCRIPTS / "deployment.sh", "previous-edge", "staging"], env)
    assert r.returncode == 1 and "no successful staging release before" in r.stderr


def test_edge_of_a_commit_or_version_id(history):
    env, _, _ = history
    r = run(["bash", SCRIPTS / "deployment.sh", "edge-of", "staging", SHA_A[:10]], env)
    assert r.returncode == 0 and json.loads(r.stdout)["edge_version_id"] == VID["a"], r.stderr
    r = run(["bash", SCRIPTS / "deployment.sh", "edge-of", "staging", VID["b"]], env)
    assert r.returncode == 0 and json.loads(r.stdout)["edge_release"] == SHA_B, r.stderr
    r = run(["bash", SCRIPTS / "deployment.sh", "edge-of", "staging", "d" * 40], env)
    assert r.returncode == 1


def test_create_and_status_send_the_payload_and_state(gh, tmp_path):
    env, state, log = gh
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps({"release": SHA_A, "auth_image": "x@" + D1}))
    r = run(["bash", SCRIPTS / "deployment.sh", "create", "production", SHA_A, "deploy:release", payload], env)
    assert r.returncode == 0, r.stderr
    dep_id = r.stdout.strip()
    r = run(["bash", SCRIPTS / "deployment.sh", "status", dep_id, "success", "https://api.twist.finance"], env)
    assert r.returncode == 0, r.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    create = next(c for c in calls if c["method"] == "POST" and c["endpoint"].endswith("/deployments"))
    assert create["body"]["environment"] == "production" and create["body"]["production_environment"] is True
    assert create["body"]["required_contexts"] == [] and create["body"]["payload"]["auth_image"] == "x@" + D1
    status = next(c for c in calls if c["endpoint"].endswith("/statuses") and c["method"] == "POST")
    assert status["fields"]["state"] == "success" and status["fields"]["log_url"].endswith("/actions/runs/77")
    assert status["fields"]["environment_url"] == "https://api.twist.finance"


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


# The request body of "Create a repository ruleset" / "Update a repository ruleset", the parts
# this repository uses, as GitHub's REST reference and its OpenAPI description define them
# (https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset; schemas
# repository-ruleset-bypass-actor, repository-rule-pull-request, repository-rule-required-status-checks
# in https://github.com/github/rest-api-description). additionalProperties: false catches a
# misspelt field, which GitHub would answer with 422.
RULESET_SCHEMA = {
    "type": "object",
    "required": ["name", "enforcement"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "target": {"enum": ["branch", "tag", "push"]},
        "enforcement": {"enum": ["disabled", "active", "evaluate"]},
        "bypass_actors": {"type": "array", "items": {
            "type": "object", "required": ["actor_type"], "additionalProperties": False,
            "properties": {"actor_id": {"type": ["integer", "null"]},
                           "actor_type": {"enum": ["Integration", "OrganizationAdmin", "RepositoryRole", "Team", "DeployKey"]},
                           "bypass_mode": {"enum": ["always", "pull_request", "exempt"]}}}},
        "conditions": {"type": "object", "additionalProperties": False, "properties": {"ref_name": {
            "type": "object", "additionalProperties": False,
            "properties": {"include": {"type": "array", "items": {"type": "string"}},
                           "exclude": {"type": "array", "items": {"type": "string"}}}}}},
        "rules": {"type": "array", "items": {"oneOf": [
            {"type": "object", "required": ["type"], "additionalProperties": False,
             "properties": {"type": {"enum": ["creation", "update", "deletion", "required_linear_history",
                                              "required_signatures", "non_fast_forward"]}}},
            {"type": "object", "required": ["type", "parameters"], "additionalProperties": False, "properties": {
                "type": {"const": "pull_request"},
                "parameters": {"type": "object", "additionalProperties": False,
                               "required": ["dismiss_stale_reviews_on_push", "require_code_owner_review", "require_last_push_approval",
                                            "required_approving_review_count", "required_review_thread_resolution"],
                               "properties": {"dismiss_stale_reviews_on_push": {"type": "boolean"},
                                              "require_code_owner_review": {"type": "boolean"},
                                              "require_last_push_approval": {"type": "boolean"},
                                              "required_approving_review_count": {"type": "integer", "minimum": 0, "maximum": 10},
                                              "required_review_thread_resolution": {"type": "boolean"},
                                              "allowed_merge_methods": {"type": "array", "minItems": 1,
                                                                        "items": {"enum": ["merge", "squash", "rebase"]}}}}}},
            {"type": "object", "required": ["type", "parameters"], "additionalProperties": False, "properties": {
                "type": {"const": "required_status_checks"},
                "parameters": {"type": "object", "additionalProperties": False,
                               "required": ["required_status_checks", "strict_required_status_checks_policy"],
                               "properties": {"do_not_enforce_on_create": {"type": "boolean"},
                                              "strict_required_status_checks_policy": {"type": "boolean"},
                                              "required_status_checks": {"type": "array", "minItems": 1, "items": {
                                                  "type": "object", "required": ["context"], "additionalProperties": False,
                                                  "properties": {"context": {"type": "string"}, "integration_id": {"type": "integer"}}}}}}}},
        ]}},
    },
}


def _ruleset(*flags):
    r = run(["bash", SCRIPTS / "apply-ruleset.sh", "--print", *flags])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("mode", ["strict", "solo"])
def test_ruleset_modes_match_githubs_ruleset_schema(mode):
    import jsonschema

    rs = _ruleset(*(["--solo"] if mode == "solo" else []))
    jsonschema.validate(rs, RULESET_SCHEMA)
    rules = {r["type"]: r.get("parameters") for r in rs["rules"]}
    assert rs["enforcement"] == "active" and rs["bypass_actors"] == [], "no mode lets anyone bypass"
    assert {"deletion", "non_fast_forward", "required_linear_history", "pull_request", "required_status_checks"} <= set(rules)
    strict = json.loads((ROOT / ".github" / "rulesets" / "main.json").read_text())
    assert rules["required_status_checks"] == next(r["parameters"] for r in strict["rules"] if r["type"] == "required_status_checks")
    assert rules["required_status_checks"]["strict_required_status_checks_policy"] is True
    pr = rules["pull_request"]
    if mode == "strict":
        assert rs == strict
        assert pr["required_approving_review_count"] >= 1 and pr["require_code_owner_review"] and pr["require_last_push_approval"]
    else:
        assert pr["required_approving_review_count"] == 0
        assert not pr["require_code_owner_review"] and not pr["require_last_push_approval"]
        assert pr["required_review_thread_resolution"] and pr["allowed_merge_methods"] == ["squash"]


def test_ruleset_schema_rejects_what_github_would_refuse():
    import jsonschema

    bad = _ruleset("--solo")
    bad["rules"][3]["parameters"]["required_approving_reviews"] = 0  # misspelt field
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, RULESET_SCHEMA)
    bad = _ruleset()
    bad["bypass_actors"] = [{"actor_id": 1, "actor_type": "Owner", "bypass_mode": "always"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, RULESET_SCHEMA)


def test_apply_ruleset_solo_switches_the_same_ruleset(gh):
    env, state, log = gh
    assert run(["bash", SCRIPTS / "apply-ruleset.sh", "acme/twist"], env).returncode == 0
    r = run(["bash", SCRIPTS / "apply-ruleset.sh", "--solo", "acme/twist"], env)
    assert r.returncode == 0 and "updated ruleset 100 main (solo)" in r.stdout, r.stderr
    rulesets = json.loads(state.read_text())["rulesets"]
    assert len(rulesets) == 1
    pr = next(x for x in rulesets[0]["rules"] if x["type"] == "pull_request")["parameters"]
    assert pr["required_approving_review_count"] == 0


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
    # no registry is asked: the third-party digests come from the release record only
    stub(bin_, "docker", "echo 'docker must not be called' >&2; exit 1\n")
    stub(bin_, "crane", "echo 'crane must not be called' >&2; exit 1\n")
    args = ["bash", SCRIPTS / "helm-deploy.sh", "staging", "ghcr.io/acme/twist-auth-service@" + D1, "ghcr.io/acme/twist-influencer-api@" + D2]
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "CLOUDFLARE_ACCOUNT_ID": "acct123"}
    r = run(args, env)
    assert r.returncode == 2 and "THIRD_PARTY_IMAGES" in r.stderr, "staging needs the recorded third-party digests"
    record = {k: f"{name}@{D2}" for k, name in THIRD_PARTY_TAGS.items()}
    r = run(args, {**env, "THIRD_PARTY_IMAGES": json.dumps({**record, "REDIS_IMAGE": THIRD_PARTY_TAGS["REDIS_IMAGE"]})})
    assert r.returncode == 2 and "REDIS_IMAGE" in r.stderr and "no digest" in r.stderr
    assert not log.exists() or not log.read_text(), "nothing deployed with an incomplete record"
    r = run(args, {**env, "THIRD_PARTY_IMAGES": json.dumps(record)})
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert "--create-namespace" not in calls[0], "the deployer role cannot create namespaces"
    assert f"postgresql.image.digest={D2}" in calls[0] and f"redis.image.digest={D2}" in calls[0]
    assert "backup.s3.endpoint=https://acct123.r2.cloudflarestorage.com" in calls[0]
    assert f"tunnel.image.digest={D2}" in calls[1] and f"tests.jwtRoundTrip.image.digest={D2}" in calls[1]
    assert f"backup.image.digest={D2}" in calls[0] and "postgresql.image.repository=postgres" in calls[0]
    assert calls[0].startswith("upgrade --install twist-data ") and "-n twist-staging" in calls[0]
    assert calls[1].startswith("upgrade --install twist ") and "--atomic" in calls[1] and "--wait" in calls[1]
    assert f"authService.image.digest={D1}" in calls[1] and f"influencerApi.image.digest={D2}" in calls[1]
    assert "image.registry=ghcr.io/acme" in calls[1]
    assert calls[2].startswith("test twist -n twist-staging")
    assert "twist-data" not in calls[1]


# --- helm-rollback.sh and helm-deploy.sh's rollback, against a fake helm with Helm's history rules ---

AUTH = "ghcr.io/acme/twist-auth-service@"
API = "ghcr.io/acme/twist-influencer-api@"
BUILD = {n: "sha256:" + f"{n}" * 64 for n in range(1, 6)}  # one digest per build


@pytest.fixture
def fake_helm(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    shutil.copy(FAKES / "helm", bin_ / "helm")
    (bin_ / "helm").chmod(0o755)
    state, log = tmp_path / "helm.json", tmp_path / "helm.log"
    log.write_text("")
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "FAKE_HELM_STATE": str(state), "FAKE_HELM_LOG": str(log),
           "CLOUDFLARE_ACCOUNT_ID": "acct123", "FAKE_HELM_BAD": BUILD[5], "FAKE_HELM_BROKEN": BUILD[4]}

    def deploy(build, **extra):
        return run(["bash", SCRIPTS / "helm-deploy.sh", "ci", AUTH + BUILD[build], API + BUILD[build]], {**env, **extra})

    def history():
        r = run(["helm", "history", "twist", "-n", "twist-ci", "-o", "json"], env)
        assert r.returncode == 0, r.stderr
        return [(h["revision"], h["status"], h["description"]) for h in json.loads(r.stdout)]

    def running():
        r = run(["helm", "get", "values", "twist", "-n", "twist-ci", "-o", "json"], env)
        return next(b for b, d in BUILD.items() if any(d in v for v in json.loads(r.stdout)["set"]))

    return env, deploy, history, running, log


def test_atomic_failure_then_rollback_skips_the_failed_revision(fake_helm):
    env, deploy, history, running, _ = fake_helm
    assert deploy(1).returncode == 0 and deploy(2).returncode == 0
    r = deploy(4)  # pods never ready: --atomic rolls back by itself
    assert r.returncode != 0
    assert history() == [(1, "superseded", "Install complete"), (2, "superseded", "Upgrade complete"),
                         (3, "failed", 'Upgrade "twist" failed: context deadline exceeded'), (4, "deployed", "Rollback to 2")]
    # helm's own default (current - 1) would be revision 3, the failed one
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci"], env)
    assert r.returncode == 0, r.stderr
    assert "twist-ci 4 -> 1" in r.stdout  # 3 failed, 2 is what runs now (4 = Rollback to 2)
    assert running() == 1
    assert history()[-1] == (5, "deployed", "Rollback to 1")


def test_rollback_never_returns_to_a_revision_that_was_rolled_back_from(fake_helm):
    env, deploy, history, running, _ = fake_helm
    for build in (1, 2, 3):
        assert deploy(build).returncode == 0
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci"], env)  # 3 -> 2
    assert r.returncode == 0 and "3 -> 2" in r.stdout, r.stderr
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci"], env)  # again: 1, never 3
    assert r.returncode == 0 and "4 -> 1" in r.stdout, r.stderr
    assert running() == 1
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci"], env)
    assert r.returncode == 1 and "no good revision" in r.stderr


def test_rollback_to_a_named_revision_refuses_a_failed_one(fake_helm):
    env, deploy, history, running, _ = fake_helm
    assert deploy(1).returncode == 0 and deploy(2).returncode == 0
    assert deploy(4).returncode != 0
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci", "3"], env)
    assert r.returncode == 1 and "status is failed" in r.stderr
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-ci", "1", "--dry-run"], env)
    assert r.returncode == 0 and "4 -> 1" in r.stdout and "dry run" in r.stdout
    assert running() == 2 and len(history()) == 4, "a dry run changes nothing"
    r = run(["bash", SCRIPTS / "helm-rollback.sh", "twist-prod"], env)  # not a TWIST namespace
    assert r.returncode == 2


def test_failed_helm_test_does_not_leave_the_new_release_live(fake_helm):
    env, deploy, history, running, log = fake_helm
    assert deploy(1).returncode == 0 and deploy(2).returncode == 0
    r = deploy(5)  # installs fine, its helm test fails
    assert r.returncode == 1 and "helm test failed" in r.stderr and "rolled back" in r.stderr
    assert running() == 2
    assert history()[-2:] == [(3, "superseded", "Upgrade complete"), (4, "deployed", "Rollback to 2")]
    assert "rollback twist 2 -n twist-ci --wait" in log.read_text()


def test_failed_smoke_check_does_not_leave_the_new_release_live(fake_helm, server):
    env, deploy, history, running, _ = fake_helm
    _, url = server
    _Handler.codes = {"/health": 200, "/ready": 200}
    smoke = {"HELM_DEPLOY_SMOKE_URL": url, "SMOKE_ATTEMPTS": "1", "SMOKE_DELAY_SECONDS": "0"}
    assert deploy(1, **smoke).returncode == 0
    _Handler.codes = {"/health": 200, "/ready": 503}
    r = deploy(2, **smoke)
    assert r.returncode == 1 and "smoke check" in r.stderr
    assert running() == 1 and history()[-1] == (3, "deployed", "Rollback to 1")


def _versions() -> dict:
    return dict(line.split("=", 1) for line in (ROOT / "versions.env").read_text().splitlines()
                if re.match(r"^[A-Z][A-Z0-9_]*=", line))


# name:tag of the charts' third-party images in versions.env (digest dropped)
THIRD_PARTY_TAGS = {k: v.split("@")[0] for k, v in _versions().items()
                    if k in ("CLOUDFLARED_IMAGE", "JDK_TEST_IMAGE", "POSTGRES_IMAGE", "REDIS_IMAGE", "RCLONE_IMAGE")}


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
    r = run(["bash", SCRIPTS / "smoke.sh", "http://api.twist.finance"])
    assert r.returncode == 2


# --- k3s-tunnel.sh ------------------------------------------------------------------------------------


def _tunnel_env(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "ssh.log"
    stub(bin_, "ssh", f'echo "$*" >>"{log}"\n')
    stub(bin_, "kubectl", "exit 0\n")
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path), "GITHUB_ENV": str(tmp_path / "github_env"),
           "VM_SSH_HOST": "vm.twist.finance", "VM_SSH_USER": "deploy", "VM_SSH_PRIVATE_KEY": "KEY",
           "VM_SSH_KNOWN_HOSTS": "vm.twist.finance ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPinned",
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


# --- terraform/scripts/rollback.sh: edge rollback by worker version id, against a fake Cloudflare API ---

ACCOUNT = "0123456789abcdef0123456789abcdef"
BUNDLE_OLD, BUNDLE_NEW = "a" * 64, "b" * 64


@pytest.fixture
def cloudflare():
    import sys

    sys.path.insert(0, str(FAKES))
    from cloudflare_api import FakeCloudflare

    fake = FakeCloudflare(token="cf-test-token", account=ACCOUNT, script="twist-edge-staging").start()
    old = fake.upload_version(SHA_A, BUNDLE_OLD)
    fake.deploy(old)
    new = fake.upload_version(SHA_B, BUNDLE_NEW)
    fake.deploy(new)
    env = {"CLOUDFLARE_API_TOKEN": "cf-test-token", "TF_VAR_account_id": ACCOUNT, "CLOUDFLARE_API_BASE": fake.base}
    yield fake, env, old, new
    fake.stop()


def edge_rollback(env, *args):
    return run(["bash", ROOT / "terraform" / "scripts" / "rollback.sh", *args], env)


def test_edge_rollback_repoints_the_deployment_at_the_recorded_version(cloudflare, tmp_path):
    fake, env, old, new = cloudflare
    out = tmp_path / "github_output"
    r = edge_rollback({**env, "GITHUB_OUTPUT": str(out)}, "staging", old, "--expect-bundle", BUNDLE_OLD)
    assert r.returncode == 0, r.stderr
    assert fake.serving() == [{"version_id": old, "percentage": 100}]
    post = [b for m, _, b in fake.requests if m == "POST"]
    assert post == [{"strategy": "percentage", "versions": [{"version_id": old, "percentage": 100}],
                     "annotations": {"workers/message": f"rollback to release={SHA_A} bundle_sha256={BUNDLE_OLD}"}}]
    assert f"version_id={old}" in out.read_text() and f"release={SHA_A}" in out.read_text()
    assert "cf-test-token" not in r.stdout + r.stderr
    # again: already serving, no second deployment
    r = edge_rollback(env, "staging", old, "--expect-bundle", BUNDLE_OLD)
    assert r.returncode == 0 and "already serves" in r.stdout
    assert len([m for m, _, _ in fake.requests if m == "POST"]) == 1


def test_edge_rollback_refuses_a_bundle_hash_that_differs_from_the_record(cloudflare):
    fake, env, old, new = cloudflare
    r = edge_rollback(env, "staging", old, "--expect-bundle", BUNDLE_NEW)
    assert r.returncode == 1 and "nothing changed" in r.stderr
    assert fake.serving() == [{"version_id": new, "percentage": 100}]
    assert not [m for m, _, _ in fake.requests if m == "POST"]


def test_edge_rollback_dry_run_and_bad_input_change_nothing(cloudflare):
    fake, env, old, new = cloudflare
    r = edge_rollback(env, "staging", old, "--expect-bundle", BUNDLE_OLD, "--dry-run")
    assert r.returncode == 0 and "dry run" in r.stdout
    r = edge_rollback(env, "staging", "0" * 8 + "-0000-4000-8000-" + "0" * 12, "--expect-bundle", BUNDLE_OLD)
    assert r.returncode == 1 and "not found" in r.stderr
    r = edge_rollback({**env, "CLOUDFLARE_API_TOKEN": "wrong"}, "staging", old, "--expect-bundle", BUNDLE_OLD)
    assert r.returncode == 1 and "Authentication error" in r.stderr
    assert edge_rollback(env, "staging", SHA_A, "--expect-bundle", BUNDLE_OLD).returncode == 2  # a commit is not a version id
    assert edge_rollback(env, "staging", old).returncode == 2  # no hash to compare
    assert edge_rollback(env, "qa", old, "--skip-bundle-check").returncode == 2
    assert fake.serving() == [{"version_id": new, "percentage": 100}]
    assert not [m for m, _, _ in fake.requests if m == "POST"]


# --- terraform/scripts/deploy.sh: the first deploy writes the lock file; later ones read it only ---


@pytest.fixture
def tf_copy(tmp_path):
    tf = tmp_path / "terraform"
    (tf / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "terraform" / "scripts" / "deploy.sh", tf / "scripts" / "deploy.sh")
    shutil.copytree(ROOT / "terraform" / "environments", tf / "environments")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    shutil.copy(FAKES / "terraform", bin_ / "terraform")
    (bin_ / "terraform").chmod(0o755)
    bundle = tmp_path / "index.js"
    bundle.write_text("export default {}\n")
    log, summary, output = tmp_path / "tf.log", tmp_path / "summary.md", tmp_path / "output"
    for f in (log, summary, output):
        f.write_text("")
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "FAKE_TF_LOG": str(log), "TF_VAR_account_id": ACCOUNT,
           "FAKE_TF_VERSIONS_ENV": str(ROOT / "versions.env"),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}

    def deploy(environment):
        return run(["bash", tf / "scripts" / "deploy.sh", environment, bundle, SHA_A], env)

    return tf, deploy, log, summary, output


def test_first_staging_deploy_writes_the_lock_file_and_says_how_to_commit_it(tf_copy):
    tf, deploy, log, summary, output = tf_copy
    r = deploy("staging")
    assert r.returncode == 0, r.stderr
    lock = (tf / ".terraform.lock.hcl").read_text()
    init = next(line for line in log.read_text().splitlines() if line.startswith("init"))
    assert "-lockfile=readonly" not in init
    assert lock in r.stdout and lock in summary.read_text()
    assert "git add terraform/.terraform.lock.hcl" in summary.read_text()
    assert "worker_version_id=11111111-2222-4333-8444-555555555555" in output.read_text()
    # the next deploy only reads it
    log.write_text("")
    r = deploy("staging")
    assert r.returncode == 0, r.stderr
    assert "-lockfile=readonly" in next(line for line in log.read_text().splitlines() if line.startswith("init"))
    assert (tf / ".terraform.lock.hcl").read_text() == lock


def test_production_deploy_refuses_without_a_committed_lock_file(tf_copy):
    tf, deploy, log, summary, _ = tf_copy
    r = deploy("production")
    assert r.returncode == 1 and "lock file" in r.stderr
    assert not any(line.startswith(("init", "apply")) for line in log.read_text().splitlines())
    assert not (tf / ".terraform.lock.hcl").exists()
