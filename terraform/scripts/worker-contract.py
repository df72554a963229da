#!/usr/bin/env python3
"""Extract what the edge worker expects from its own files, as JSON for terraform test.

Reads edge/wrangler.jsonc (bindings, vars, migrations, queue consumers, crons,
compatibility settings) and edge/worker-configuration.d.ts (the generated Env type,
which also lists the secrets, since `wrangler types` reads .dev.vars.example).
tests/contract.tftest.hcl compares the bindings Terraform declares with this file, so
Terraform and the worker cannot drift apart silently.

Usage: worker-contract.py [EDGE_DIR] > contract.json   (EDGE_DIR defaults to ../edge)
Exits 1 when wrangler.jsonc and the Env type disagree with each other, or when the
worker uses a binding kind this Terraform configuration does not know how to declare.
"""
import json
import os
import re
import sys

# wrangler config key -> Terraform binding type, for list-shaped binding sections.
KNOWN_SECTIONS = {"kv_namespaces": "kv_namespace", "r2_buckets": "r2_bucket"}
# Any of these in wrangler.jsonc means a binding kind terraform/ does not declare yet.
UNSUPPORTED = ["d1_databases", "services", "vectorize", "ai", "analytics_engine_datasets",
               "hyperdrive", "browser", "workflows", "send_email", "dispatch_namespaces",
               "mtls_certificates", "secrets_store_secrets", "unsafe", "assets", "version_metadata",
               "ratelimits", "pipelines", "images", "containers"]


def strip_jsonc(text):
    """Drop // and /* */ comments (outside strings) and trailing commas."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def env_members(dts):
    """NAME -> TS type, from `interface Env { ... }` inside `declare namespace Cloudflare`."""
    m = re.search(r"declare namespace Cloudflare\s*\{.*?interface Env\s*\{(.*?)\n\t?\}", dts, re.S)
    if not m:
        raise SystemExit("worker-contract: no `interface Env` in worker-configuration.d.ts")
    members = {}
    for line in m.group(1).splitlines():
        mm = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\??\s*:\s*([^;]+);", line)
        if mm:
            members[mm.group(1)] = re.sub(r"/\*.*?\*/", "", mm.group(2)).strip()
    return members


def main():
    edge = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "edge")
    with open(os.path.join(edge, "wrangler.jsonc")) as f:
        cfg = json.loads(strip_jsonc(f.read()))
    with open(os.path.join(edge, "worker-configuration.d.ts")) as f:
        env = env_members(f.read())

    problems = [f"wrangler.jsonc uses `{k}`, which terraform/ does not declare yet" for k in UNSUPPORTED if cfg.get(k)]

    bindings = {t: [] for t in ["kv_namespace", "r2_bucket", "queue", "plain_text", "secret_text"]}
    for section, btype in KNOWN_SECTIONS.items():
        bindings[btype] = sorted(b["binding"] for b in cfg.get(section, []))
    queues = cfg.get("queues", {})
    bindings["queue"] = sorted(p["binding"] for p in queues.get("producers", []))
    durable = {b["name"]: b["class_name"] for b in cfg.get("durable_objects", {}).get("bindings", [])}
    if any("script_name" in b for b in cfg.get("durable_objects", {}).get("bindings", [])):
        problems.append("a Durable Object binding points at another script; terraform/ binds only its own classes")
    bindings["plain_text"] = sorted(cfg.get("vars", {}))
    typed = set().union(*[set(v) for k, v in bindings.items() if k != "plain_text"], durable)
    # Env members typed string that are not vars are the secrets (.dev.vars.example).
    bindings["secret_text"] = sorted(n for n, t in env.items() if t == "string" and n not in cfg.get("vars", {}))

    declared = typed | set(bindings["plain_text"]) | set(bindings["secret_text"])
    for name in sorted(set(env) - declared):
        problems.append(f"Env has {name} ({env[name]}) but wrangler.jsonc declares no such binding")
    for name in sorted(declared - set(env)):
        problems.append(f"wrangler.jsonc declares {name} but the Env type lacks it (run `npm run cf-typegen` in edge/)")

    consumers = []
    for c in queues.get("consumers", []):
        consumers.append({
            "batch_size": c.get("max_batch_size", 10),
            "max_wait_time_ms": int(c.get("max_batch_timeout", 5) * 1000),
            "max_retries": c.get("max_retries", 3),
            "has_dead_letter_queue": bool(c.get("dead_letter_queue")),
            "consumes_own_producer": c["queue"] in {p["queue"] for p in queues.get("producers", [])},
        })

    contract = {
        "env_bindings": sorted(env),
        "bindings": bindings,
        "durable_objects": durable,
        "migrations": cfg.get("migrations", []),
        "queue_consumers": consumers,
        "crons": cfg.get("triggers", {}).get("crons", []),
        "compatibility_date": cfg.get("compatibility_date"),
        "compatibility_flags": sorted(cfg.get("compatibility_flags", [])),
    }
    if problems:
        for p in problems:
            print(f"worker-contract: {p}", file=sys.stderr)
        sys.exit(1)
    json.dump(contract, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
