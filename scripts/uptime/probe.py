#!/usr/bin/env python3
"""Outside-in uptime probe (the scheduled workflow .github/workflows/uptime.yml; docs/alerting.md).

For each environment it calls, from outside the VM and through Cloudflare, what a user reaches:
  auth   https://<auth_host>/ready   auth-service through the tunnel (200 + "status":"UP")
  api    https://<api_host>/ready    influencer-api through the tunnel (200 + "status":"UP")
  edge   https://<api_host>/health   the Cloudflare worker (200)
Hosts come from terraform/environments/<env>.tfvars (api_host, auth_host), the one place that
names them. Prints a Markdown table (for the job summary and the issue) and exits 1 when any
probe failed after its retries.

  probe.py staging production
  probe.py --target api=http://127.0.0.1:8080/ready    (explicit targets, e.g. in its test)
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def targets_for(env: str) -> list[tuple[str, str]]:
    text = (ROOT / "terraform" / "environments" / f"{env}.tfvars").read_text()
    host = {k: v for k, v in re.findall(r'^(api_host|auth_host)\s*=\s*"([^"]+)"', text, re.M)}
    return [(f"{env} auth", f"https://{host['auth_host']}/ready"),
            (f"{env} api", f"https://{host['api_host']}/ready"),
            (f"{env} edge", f"https://{host['api_host']}/health")]


def probe(url: str, timeout: float) -> tuple[bool, str, float]:
    started = time.monotonic()
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "twist-uptime-probe"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read(4096).decode("utf-8", "replace")
            status = resp.status
    except urllib.error.HTTPError as e:
        return False, f"HTTP {e.code}", time.monotonic() - started
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        return False, f"no answer ({getattr(e, 'reason', e)})", time.monotonic() - started
    elapsed = time.monotonic() - started
    if status != 200:
        return False, f"HTTP {status}", elapsed
    if url.endswith("/ready"):
        try:
            if json.loads(body).get("status") != "UP":
                return False, f"200 but not UP: {body[:200]}", elapsed
        except ValueError:
            return False, "200 but not JSON", elapsed
    return True, "200", elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("environments", nargs="*")
    ap.add_argument("--target", action="append", default=[], help="NAME=URL")
    ap.add_argument("--attempts", type=int, default=3)
    ap.add_argument("--delay", type=float, default=20.0, help="seconds between attempts")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    targets = [tuple(t.split("=", 1)) for t in args.target]
    for env in args.environments:
        targets += targets_for(env)
    if not targets:
        ap.error("no environment or --target")
    rows, failed = [], 0
    for name, url in targets:
        for attempt in range(1, args.attempts + 1):
            ok, what, secs = probe(url, args.timeout)
            if ok or attempt == args.attempts:
                break
            time.sleep(args.delay)
        failed += not ok
        rows.append(f"| {name} | {url} | {'up' if ok else 'DOWN'} | {what} | {secs:.2f} s | {attempt} |")
    print(f"Uptime probe {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}: "
          f"{len(targets) - failed} up, {failed} down\n")
    print("| target | URL | state | answer | time | attempts |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
