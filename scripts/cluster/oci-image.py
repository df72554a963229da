#!/usr/bin/env python3
"""Packs one static binary as a single-layer OCI image archive that `ctr images import` reads.

    oci-image.py NAME:TAG OUT.tar BINARY [ARG...]

The binary lands at /<basename> in the image, runs as its entrypoint with ARGs as cmd, user
65534. Used for the pause image and CoreDNS of the local cluster (scripts/cluster/up.sh): no
image registry is reachable here. Layout: https://github.com/opencontainers/image-spec
(image-layout.md, manifest.md, config.md); ctr names the image from the index annotation
io.containerd.image.name.
"""
import hashlib, io, json, os, sys, tarfile

name, out, binary, *args = sys.argv[1:]
base = os.path.basename(binary)

layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    info = t.gettarinfo(binary, arcname=base)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    info.mode = 0o755
    with open(binary, "rb") as f:
        t.addfile(info, f)
layer = layer.getvalue()

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

layer_digest, _ = blob(layer)
config = json.dumps({
    "architecture": "amd64" if os.uname().machine == "x86_64" else "arm64",
    "os": "linux",
    "config": {"Entrypoint": ["/" + base], "Cmd": args, "User": "65534:65534",
               "Env": ["PATH=/"]},
    "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
}, sort_keys=True).encode()
config_digest, _ = blob(config)
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": config_digest, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer_digest, "size": len(layer)}],
}, sort_keys=True).encode()
manifest_digest, _ = blob(manifest)
index = json.dumps({
    "schemaVersion": 2,
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": manifest_digest, "size": len(manifest),
                   "annotations": {"io.containerd.image.name": name,
                                   "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}],
}).encode()

with tarfile.open(out, "w") as t:
    def add(path, data):
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", index)
    for d in (layer, config, manifest):
        add("blobs/sha256/" + hashlib.sha256(d).hexdigest(), d)
print(manifest_digest)
