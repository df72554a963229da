#!/usr/bin/env python3
"""Warns before a credential expires (docs/credentials.md; the daily job of
.github/workflows/uptime.yml; docs/alerting.md).

  check.py docs/credentials.md [--warn-days 21] [--today YYYY-MM-DD]
      reads the inventory table (every row: credential, expiry kind, issued, expires, where the
      date comes from, how to rotate) and prints one line per credential: ok, WARN (expires within
      --warn-days), EXPIRED, or "not issued". Exit 1 when any is WARN or EXPIRED, 2 when the
      inventory is malformed (a row without a date or "not issued", a rotation runbook that does
      not exist).
  check.py --kubeconfig FILE [--warn-days 21]
      the deployer's (or operator's) token in a kubeconfig written by k3s/bootstrap.sh: a
      Kubernetes service-account token (a JWT) whose "exp" claim is the expiry the API server
      set when it issued it (kubectl create token --duration=2160h). Prints it and exits 1 when
      it is within --warn-days. The token is never printed.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["credential", "expiry", "issued", "expires", "date from", "rotate with"]


def parse_inventory(path: Path) -> list[dict]:
    rows, header = [], None
    for line in path.read_text().splitlines():
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if [c.lower() for c in cells] == COLUMNS:
            header = cells
            continue
        if header is None or set(line) <= set("|-: "):
            continue
        rows.append(dict(zip(COLUMNS, cells)))
    return rows


def date_of(text: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})", text.strip())
    return dt.date.fromisoformat(m.group(1)) if m else None


def check_inventory(path: Path, today: dt.date, warn_days: int) -> int:
    rows = parse_inventory(path)
    if not rows:
        print(f"{path}: no inventory table (columns: {' | '.join(COLUMNS)})")
        return 2
    bad = malformed = 0
    for r in rows:
        name, expires = r["credential"], r["expires"]
        links = re.findall(r"\]\(([^)#]+)", r["rotate with"])
        for link in links:
            if not (path.parent / link).resolve().is_file():
                print(f"MALFORMED {name}: rotation link {link} does not exist")
                malformed += 1
        if not links:
            print(f"MALFORMED {name}: no rotation runbook linked")
            malformed += 1
        day = date_of(expires)
        if expires.lower().startswith("not issued"):
            print(f"not issued  {name}")
            continue
        if day is None:
            print(f"MALFORMED {name}: expires {expires!r} is neither YYYY-MM-DD nor 'not issued'")
            malformed += 1
            continue
        left = (day - today).days
        if left < 0:
            print(f"EXPIRED     {name}: expired {day} ({-left} days ago)")
            bad += 1
        elif left <= warn_days:
            print(f"WARN        {name}: expires {day}, in {left} days (rotate: {r['rotate with']})")
            bad += 1
        else:
            print(f"ok          {name}: expires {day}, in {left} days")
    print(f"credentials: {len(rows)} listed, {bad} expiring within {warn_days} days or expired, {malformed} malformed")
    return 2 if malformed else (1 if bad else 0)


def check_kubeconfig(path: Path, today: dt.date, warn_days: int) -> int:
    text = path.read_text()
    m = re.search(r"^\s*token:\s*(\S+)\s*$", text, re.M)
    if not m:
        print(f"{path}: no token in the kubeconfig")
        return 2
    parts = m.group(1).split(".")
    if len(parts) != 3:
        print(f"{path}: the token is not a JWT")
        return 2
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    exp = dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc)
    iat = dt.datetime.fromtimestamp(claims.get("iat", 0), dt.timezone.utc)
    sa = claims.get("kubernetes.io", {}).get("serviceaccount", {}).get("name") or claims.get("sub", "?")
    left = (exp.date() - today).days
    print(f"{path.name}: token of {sa} issued {iat:%Y-%m-%d %H:%M} UTC, expires {exp:%Y-%m-%d %H:%M} UTC, in {left} days")
    if left <= warn_days:
        print(f"WARN: renew with k3s/bootstrap.sh --rotate-deployer-tokens and update KUBE_CONFIG (docs/credentials.md)")
        return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("inventory", nargs="?", default=str(ROOT / "docs" / "credentials.md"))
    ap.add_argument("--kubeconfig")
    ap.add_argument("--warn-days", type=int, default=21)
    ap.add_argument("--today", help="YYYY-MM-DD (default: today, UTC)")
    args = ap.parse_args()
    today = dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(dt.timezone.utc).date()
    if args.kubeconfig:
        return check_kubeconfig(Path(args.kubeconfig), today, args.warn_days)
    return check_inventory(Path(args.inventory), today, args.warn_days)


if __name__ == "__main__":
    sys.exit(main())
