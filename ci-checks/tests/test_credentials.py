"""The credentials reminder (scripts/credentials/check.py, docs/credentials.md): the inventory is
well-formed, dates near or past expiry warn, and a kubeconfig's service-account token is read for
its expiry (the "exp" claim the API server sets: a JWT per RFC 7519 §4.1.4).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "credentials" / "check.py"
HEADER = "| credential | expiry | issued | expires | date from | rotate with |\n|---|---|---|---|---|---|\n"


def run(*args):
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True, timeout=30)


def test_the_inventory_of_the_repository_is_well_formed():
    r = run(str(ROOT / "docs" / "credentials.md"))
    assert r.returncode in (0, 1), r.stdout  # 2 = malformed; 1 (due) is the workflow's business
    assert "malformed" in r.stdout and ", 0 malformed" in r.stdout
    for name in ("KUBE_CONFIG", "CLOUDFLARE_API_TOKEN", "BACKUP_S3_ACCESS_KEY_ID", "VM_SSH_PRIVATE_KEY"):
        assert name in r.stdout


def test_dates_warn_before_and_after_expiry(tmp_path):
    runbook = "[r](../runbooks/rotate-ssh-deploy-key.md)"
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "rotate-ssh-deploy-key.md").write_text("# r\n")
    inv = docs / "credentials.md"
    inv.write_text(HEADER
                   + f"| far | policy | 2026-01-01 | 2026-06-01 | x | {runbook} |\n"
                   + f"| soon | policy | 2026-01-01 | 2026-03-20 | x | {runbook} |\n"
                   + f"| gone | hard | 2025-01-01 | 2026-02-01 | x | {runbook} |\n"
                   + f"| later | policy | not issued | not issued | x | {runbook} |\n")
    r = run(str(inv), "--today", "2026-03-01")
    assert r.returncode == 1
    assert "ok          far: expires 2026-06-01, in 92 days" in r.stdout
    assert "WARN        soon: expires 2026-03-20, in 19 days" in r.stdout
    assert "EXPIRED     gone: expired 2026-02-01 (28 days ago)" in r.stdout
    assert "not issued  later" in r.stdout
    assert run(str(inv), "--today", "2025-06-01").returncode == 0  # months before any date: quiet
    ok = docs / "ok.md"
    ok.write_text(HEADER + f"| far | policy | 2026-01-01 | 2026-06-01 | x | {runbook} |\n")
    assert run(str(ok), "--today", "2026-03-01").returncode == 0


def test_a_row_without_a_date_or_runbook_is_malformed(tmp_path):
    inv = tmp_path / "c.md"
    inv.write_text(HEADER + "| x | policy | ? | soon | x | nothing |\n")
    r = run(str(inv))
    assert r.returncode == 2
    assert "no rotation runbook" in r.stdout and "neither YYYY-MM-DD" in r.stdout


def _kubeconfig(tmp_path, iat, exp):
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    token = ".".join([b64({"alg": "RS256", "kid": "k"}),
                      b64({"iat": iat, "exp": exp, "sub": "system:serviceaccount:twist-staging:twist-deployer",
                           "kubernetes.io": {"namespace": "twist-staging", "serviceaccount": {"name": "twist-deployer"}}}),
                      "c2lnbmF0dXJl"])
    kc = tmp_path / "deployer-staging.kubeconfig"
    kc.write_text(f"apiVersion: v1\nkind: Config\nusers:\n  - name: twist-deployer\n    user:\n      token: {token}\n")
    return kc, token


def test_kubeconfig_token_expiry(tmp_path):
    # issued 2026-03-01 00:00 UTC, 2160 h (90 days) later it expires
    iat = 1772323200
    kc, token = _kubeconfig(tmp_path, iat, iat + 2160 * 3600)
    r = run("--kubeconfig", str(kc), "--today", "2026-03-01")
    assert r.returncode == 0
    assert "token of twist-deployer issued 2026-03-01 00:00 UTC, expires 2026-05-30 00:00 UTC, in 90 days" in r.stdout
    assert token not in r.stdout
    r = run("--kubeconfig", str(kc), "--today", "2026-05-15")
    assert r.returncode == 1 and "rotate-deployer-tokens" in r.stdout
