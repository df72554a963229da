#!/usr/bin/env python3
"""Writes a secrets env file from k3s/README.md's template (step 5), the way an operator does:
the template's KEY=<placeholder> lines, each placeholder replaced by the value given here.

    env-from-readme.py README OUT KEY=value... [-KEY]...

Fails when the README has no template, when a given KEY is not in the template, or when a
template line keeps a placeholder. -KEY drops a line the environment does not use (the tunnel
token with the tunnel off). Lines the template leaves empty (optional keys) are kept as written.
The file is created with mode 600.
"""
import os, re, sys

readme, out, *pairs = sys.argv[1:]
text = open(readme, encoding="utf-8").read()
m = re.search(r"## 5\. Load the staging secrets.*?```\n((?:#[^\n]*\n)*DB_PASSWORD=.*?)```", text, re.S)
if not m:
    sys.exit("env-from-readme: no env template (a block starting with DB_PASSWORD=) in step 5 of " + readme)
values, drop = {}, set()
for p in pairs:
    if p.startswith("-"):
        drop.add(p[1:])
    else:
        k, v = p.split("=", 1)
        values[k] = v
lines, seen = [], set()
for line in m.group(1).splitlines():
    km = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
    if not km:
        lines.append(line)
        continue
    key = km.group(1)
    seen.add(key)
    if key in drop:
        continue
    if key in values:
        lines.append(f"{key}={values[key]}")
    elif "<" in km.group(2):
        sys.exit(f"env-from-readme: no value given for {key} ({km.group(2)})")
    else:
        lines.append(line)
missing = (set(values) | drop) - seen
if missing:
    sys.exit("env-from-readme: not in the README's template: " + ", ".join(sorted(missing)))
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"env-from-readme: {out}: " + " ".join(k for k in seen if k not in drop))
