"""The outside-in uptime probe (scripts/uptime/probe.py, run by .github/workflows/uptime.yml):
run for real against an HTTP server on 127.0.0.1 that answers as the services do (/ready 200
{"status":"UP"} or 503 {"status":"DOWN",...}; the edge's /health 200), and the hosts it reads
from terraform/environments/*.tfvars.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "scripts" / "uptime" / "probe.py"


class Handler(http.server.BaseHTTPRequestHandler):
    answers = {
        "/up/ready": (200, {"status": "UP", "checks": {"postgres": "UP", "redis": "UP"}}),
        "/down/ready": (503, {"status": "DOWN", "checks": {"postgres": "DOWN: timed out", "redis": "UP"}}),
        "/odd/ready": (200, {"status": "DOWN"}),
        "/health": (200, {"status": "UP"}),
    }

    def do_GET(self):  # noqa: N802
        status, body = self.answers.get(self.path, (404, {"title": "Not Found"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def probe(*args):
    return subprocess.run([sys.executable, str(PROBE), "--attempts", "2", "--delay", "0", "--timeout", "3", *args],
                          capture_output=True, text=True, timeout=60)


def test_all_up_exits_0_and_reports_each_target(base):
    r = probe("--target", f"api={base}/up/ready", "--target", f"edge={base}/health")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 up, 0 down" in r.stdout
    assert f"| api | {base}/up/ready | up | 200 |" in r.stdout
    assert f"| edge | {base}/health | up | 200 |" in r.stdout


def test_a_503_ready_or_a_not_up_body_or_no_answer_is_down(base):
    r = probe("--target", f"api={base}/up/ready", "--target", f"auth={base}/down/ready",
              "--target", f"odd={base}/odd/ready", "--target", "gone=http://127.0.0.1:1/ready")
    assert r.returncode == 1
    assert "1 up, 3 down" in r.stdout
    assert f"| auth | {base}/down/ready | DOWN | HTTP 503 |" in r.stdout
    assert "| odd |" in r.stdout and "200 but not UP" in r.stdout
    assert "| gone | http://127.0.0.1:1/ready | DOWN | no answer" in r.stdout
    # a failing target was tried again before it was reported
    assert r.stdout.count("| 2 |") == 3


@pytest.mark.parametrize("env", ["staging", "production"])
def test_targets_are_the_public_hosts_of_terraform(env):
    spec = importlib.util.spec_from_file_location("probe", PROBE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tfvars = (ROOT / "terraform" / "environments" / f"{env}.tfvars").read_text()
    urls = [u for _, u in mod.targets_for(env)]
    assert len(urls) == 3
    for url in urls:
        host = url.split("/")[2]
        assert f'"{host}"' in tfvars
    assert urls[0].endswith("/ready") and urls[1].endswith("/ready") and urls[2].endswith("/health")


def test_uptime_workflow_runs_the_probe_and_manages_one_issue():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "uptime.yml").read_text())
    on = wf.get("on") or wf.get(True)
    assert on["schedule"][0]["cron"]
    steps = wf["jobs"]["probe"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "scripts/uptime/probe.py staging production" in runs
    assert "gh issue create --label uptime" in runs and "gh issue comment" in runs and "gh issue close" in runs
    assert wf["jobs"]["probe"]["permissions"] == {"contents": "read", "issues": "write"}
    # the daily credentials reminder runs on its own schedule, the probe on the 15-minute one
    crons = [s["cron"] for s in on["schedule"]]
    assert wf["jobs"]["credentials"]["if"].endswith(f"github.event.schedule == '{crons[1]}'")
    assert wf["jobs"]["probe"]["if"].endswith(f"github.event.schedule == '{crons[0]}'")
    assert "scripts/credentials/check.py docs/credentials.md" in wf["jobs"]["credentials"]["steps"][1]["run"]
