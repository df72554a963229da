"""docs/cost.md states each environment's memory limits as "<env> N Mi": N must equal the sum
of the memory limits of the long-running containers (Deployments and StatefulSets, times their
replicas) in the rendered twist and twist-data charts of that environment. Jobs, CronJobs and
helm test pods run briefly and are not counted (the doc says so).
  python3 check_cost_memory.py docs/cost.md staging=app.yaml,data.yaml production=app.yaml,data.yaml
One "PASS name" / "FAIL name" line per environment."""
import re
import sys

import yaml

UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}


def mebibytes(quantity) -> float:
    m = re.fullmatch(r"([0-9.]+)([KMGT]i)?", str(quantity))
    if not m:
        raise ValueError(f"unsupported memory quantity {quantity!r}")
    value = float(m.group(1))
    return value * UNITS[m.group(2)] if m.group(2) else value / (1024 * 1024)


def rendered_limits(files):
    total, parts = 0.0, []
    for path in files:
        with open(path) as fh:
            for doc in yaml.safe_load_all(fh):
                if not doc or doc.get("kind") not in ("Deployment", "StatefulSet"):
                    continue
                replicas = doc["spec"].get("replicas", 1)
                for c in doc["spec"]["template"]["spec"]["containers"]:
                    mi = mebibytes(c["resources"]["limits"]["memory"])
                    total += replicas * mi
                    parts.append(f"{replicas}x{c['name']} {mi:g} Mi")
    return total, parts


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8").read()
    failed = 0
    for arg in sys.argv[2:]:
        env, files = arg.split("=", 1)
        total, parts = rendered_limits(files.split(","))
        m = re.search(rf"\b{env} (\d+) Mi\b", text)
        name = f"cost.md: {env} memory limits equal the rendered charts' sum ({total:g} Mi)"
        if m and float(m.group(1)) == total:
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name}: the doc says {m.group(1) + ' Mi' if m else 'nothing'}; rendered: {', '.join(parts)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
