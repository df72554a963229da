#!/usr/bin/env python3
"""Derive a provider schema (the JSON shape of `terraform providers schema -json`)
from the Cloudflare provider's generated documentation (docs/index.md and
docs/resources/<type>.md, written by tfplugindocs in a fixed format).

Why: the Cloudflare provider v5 cannot be built here (the Go module proxy refuses
every v5 version: its go.mod has no /v5 suffix, so no v5 tag is a valid module
version), and the Terraform registry is not reachable. Terraform still needs a
provider *schema* for `validate` and for `terraform test` with `mock_provider`.
This script turns the documented schema of the pinned release into schema.json,
which the schema-only provider in this folder serves. It was run once against
the v5.22.0 docs; re-run it when the pin moves:

    python3 gen_schema.py <provider-checkout>/docs 5.22.0 schema.json

Only the resource types listed in RESOURCES are kept, so schema.json stays small
and reviewable. Mapping of the docs' markers:
    Required -> required, Optional -> optional, Read-Only -> computed,
    "Sensitive" -> sensitive, (Attributes|Attributes List|Set|Map) -> nested_type.
The docs do not tell optional+computed apart from optional, so optional
attributes are plain optional (harmless for validate and for mocks: an unset
optional attribute stays null instead of getting a generated value).
"""
import json
import re
import sys

RESOURCES = [
    "worker",
    "worker_version",
    "workers_deployment",
    "workers_cron_trigger",
    "workers_kv_namespace",
    "workers_route",
    "r2_bucket",
    "r2_bucket_lifecycle",
    "queue",
    "queue_consumer",
    "dns_record",
    # added from the provider docs at commit 2b81a326 of its repository (the schema section of
    # docs/resources/zero_trust_tunnel_cloudflared_config.md), not re-read from the v5.22.0 tag
    "zero_trust_tunnel_cloudflared_config",
]

ITEM = re.compile(r"^- `([a-z0-9_]+)` \(([^)]*)\)")
NESTED_HEADER = re.compile(r"^### Nested Schema for `([a-z0-9_.]+)`")
SECTION = {"Required": "required", "Optional": "optional", "Read-Only": "computed"}

PRIMITIVE = {"String": "string", "Number": "number", "Boolean": "bool", "Dynamic": "dynamic"}
NESTING = {"Attributes": "single", "Attributes List": "list", "Attributes Set": "set", "Attributes Map": "map"}


def cty_type(kind):
    """'List of String' -> ["list", "string"]; 'String' -> "string"."""
    if kind in PRIMITIVE:
        return PRIMITIVE[kind]
    m = re.match(r"^(List|Set|Map) of (.+)$", kind)
    if m:
        return [m.group(1).lower(), cty_type(m.group(2))]
    raise ValueError(f"unknown attribute kind: {kind!r}")


def parse(markdown):
    """Returns {path: {attr: spec}} where path '' is the top level."""
    blocks = {"": {}}
    path, mode = None, None
    in_schema = False
    for line in markdown.splitlines():
        if line.startswith("## Schema"):
            in_schema, path = True, ""
            continue
        if not in_schema:
            continue
        h = NESTED_HEADER.match(line)
        if h:
            path, mode = h.group(1), None
            blocks.setdefault(path, {})
            continue
        s = line.strip().lstrip("#").strip().rstrip(":")
        if s in SECTION and (line.startswith("###") or line.endswith(":")):
            mode = SECTION[s]
            continue
        m = ITEM.match(line)
        if m and mode and path is not None:
            name, desc = m.group(1), m.group(2)
            parts = [p.strip() for p in desc.split(",")]
            kind, flags = parts[0], parts[1:]
            spec = {mode: True}
            if "Sensitive" in flags:
                spec["sensitive"] = True
            if "Deprecated" in flags:
                spec["deprecated"] = True
            if kind in NESTING:
                spec["nesting_mode"] = NESTING[kind]
            else:
                spec["type"] = cty_type(kind)
            blocks[path][name] = spec
    return blocks


def assemble(blocks, path=""):
    attrs = {}
    for name, spec in sorted(blocks[path].items()):
        spec = dict(spec)
        child = f"{path}.{name}" if path else name
        if "nesting_mode" in spec:
            nesting = spec.pop("nesting_mode")
            spec["nested_type"] = {
                "attributes": assemble(blocks, child) if child in blocks else {},
                "nesting_mode": nesting,
            }
        attrs[name] = spec
    return attrs


def main():
    docs, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(f"{docs}/index.md") as f:
        provider = assemble(parse(f.read()))
    resources = {}
    for r in RESOURCES:
        with open(f"{docs}/resources/{r}.md") as f:
            resources[f"cloudflare_{r}"] = {"version": 0, "block": {"attributes": assemble(parse(f.read()))}}
    schema = {
        "format_version": "1.0",
        "source": f"cloudflare/terraform-provider-cloudflare v{version} docs (tfplugindocs output), see gen_schema.py",
        "provider_version": version,
        "provider": {"version": 0, "block": {"attributes": provider}},
        "resource_schemas": resources,
    }
    with open(out, "w") as f:
        json.dump(schema, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
