#!/usr/bin/env python3
"""Derives an image from a `docker save` archive without a Docker engine, for the rehearsal
(scripts/rehearsal/run.sh): a second build of the same service (a label differs, so the digest
differs, as the CI job's build 2), a build whose readiness never passes, and the rclone image of
the backup CronJob (the rclone binary from the Go module proxy on a base that has a shell).

    image-tool.py IN.tar OUT.tar NAME:TAG [--label K=V]... [--env K=V]... [--entrypoint JSON] [--add SRC:DEST]...

Reads manifest.json of the archive (the format `docker save` writes and `ctr images import`
reads: https://github.com/moby/moby/blob/master/image/spec/v1.2.md), writes a new config (and a
new layer for --add) and a manifest.json naming NAME:TAG. Layers it does not add are copied.
"""
import argparse, hashlib, io, json, os, tarfile

p = argparse.ArgumentParser()
p.add_argument("src")
p.add_argument("out")
p.add_argument("name")
p.add_argument("--label", action="append", default=[])
p.add_argument("--entrypoint")
p.add_argument("--add", action="append", default=[])
p.add_argument("--env", action="append", default=[])
a = p.parse_args()

with tarfile.open(a.src) as t:
    manifest = json.load(t.extractfile("manifest.json"))[0]
    config = json.load(t.extractfile(manifest["Config"]))
    blobs = {}
    for name in manifest["Layers"]:
        blobs[name] = t.extractfile(name).read()

cfg = config.setdefault("config", {})
for kv in a.label:
    k, v = kv.split("=", 1)
    cfg["Labels"] = {**(cfg.get("Labels") or {}), k: v}
if a.env:
    cfg["Env"] = (cfg.get("Env") or []) + a.env
if a.entrypoint:
    cfg["Entrypoint"] = json.loads(a.entrypoint)
    cfg["Cmd"] = None
layers = list(manifest["Layers"])
for spec in a.add:
    src, dest = spec.split(":", 1)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as lt:
        parts = dest.strip("/").split("/")
        for i in range(1, len(parts)):
            d = tarfile.TarInfo("/".join(parts[:i]))
            d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 0
            lt.addfile(d)
        info = tarfile.TarInfo(dest.strip("/"))
        info.size, info.mode, info.mtime = os.path.getsize(src), 0o755, 0
        with open(src, "rb") as f:
            lt.addfile(info, f)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest}/layer.tar"
    blobs[name] = data
    layers.append(name)
    config["rootfs"]["diff_ids"].append("sha256:" + digest)
    config.setdefault("history", []).append({"created_by": f"image-tool.py --add {os.path.basename(src)}:{dest}"})

config_bytes = json.dumps(config, separators=(",", ":")).encode()
config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
new_manifest = [{"Config": config_name, "RepoTags": [a.name], "Layers": layers}]
with tarfile.open(a.out, "w") as out:
    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        out.addfile(info, io.BytesIO(data))
    add(config_name, config_bytes)
    for name in layers:
        add(name, blobs[name])
    add("manifest.json", json.dumps(new_manifest).encode())
print(a.name)
