#!/usr/bin/env python3
"""Static checks behind observability/scripts/check.sh (standard library only, no network).

  check_repo_docs.py metrics    metrics.tsv evidence holds; dashboards are valid Grafana JSON and
                                they and the alert rules use only metric names from metrics.tsv
  check_repo_docs.py runbooks   every alert has a runbook_url naming a runbook file, a unit test,
                                and every runbook has the required sections
  check_repo_docs.py links      relative links and #anchors in docs/, runbooks/, observability/ and README.md
                                resolve; repository paths named in observability/'s configs and
                                scripts exist; external links are listed, never fetched

Each prints one line per check ("  ok ..." / "  FAIL ...") and ends with
"<part>: N passed, M failed"; the exit status is 1 when anything failed.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "observability"
RUNBOOK_SECTIONS = ["Meaning", "Impact", "Diagnosis", "Mitigation", "Verify", "Rollback", "Owner", "Last tested"]
PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "inf", "nan", "le",
}


class Result:
    def __init__(self, part):
        self.part, self.passed, self.failed = part, 0, 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print(f"  ok   {what}")
        else:
            self.failed += 1
            print(f"  FAIL {what}")
        return ok

    def finish(self):
        print(f"{self.part}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def load_catalogue():
    names = {}
    for line in (OBS / "metrics.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        names[cols[0]] = cols
    return names


def rule_exprs():
    """(file, alert, expr, annotations) for every alert rule; a small reader for our rule files'
    shape (alert:, expr: | block, annotations: map) so the check needs no YAML library."""
    out = []
    for path in sorted((OBS / "prometheus" / "rules").glob("*.yaml")):
        alert, expr_lines, expr_indent, annotations, in_ann = None, None, None, {}, None
        lines = path.read_text().splitlines()

        def flush():
            if alert is not None:
                out.append((path, alert, "\n".join(expr_lines or []), dict(annotations)))

        for line in lines:
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if expr_lines is not None and expr_indent is not None:
                if stripped and indent <= expr_indent:
                    expr_indent = None
                else:
                    expr_lines.append(line.split("#")[0] if not stripped.startswith("#") else "")
                    continue
            if in_ann is not None and stripped and indent <= in_ann:
                in_ann = None
            m = re.match(r"-\s+alert:\s*(\S+)", stripped)
            if m:
                flush()
                alert, expr_lines, annotations, in_ann = m.group(1), None, {}, None
                continue
            if re.match(r"-\s+record:", stripped):  # a recording rule ends the alert before it
                flush()
                alert, expr_lines, annotations, in_ann = None, None, {}, None
                continue
            m = re.match(r"expr:\s*(.*)$", stripped)
            if m and alert is not None:
                rest = m.group(1)
                if rest.startswith("|"):
                    expr_lines, expr_indent = [], indent
                else:
                    expr_lines, expr_indent = [rest], None
                continue
            if stripped == "annotations:":
                in_ann = indent
                continue
            m = re.match(r"([a-z_]+):\s*(.*)$", stripped)
            if in_ann is not None and m:
                annotations[m.group(1)] = m.group(2).strip().strip('"')
        flush()
    return out


def metric_names(expr):
    """Metric names used in a PromQL expression (heuristic: identifiers that are not functions,
    keywords, label names inside {...} / by (...), durations or string contents)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    e = re.sub(r"\{[^}]*\}", " ", e)  # label matchers
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)  # range selectors
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def known(name, catalogue):
    if name in catalogue:
        return True
    base = re.sub(r"_(bucket|count|sum|max)$", "", name)
    return base != name and base in catalogue and catalogue[base][1] == "histogram"


def cmd_metrics():
    r = Result("metrics")
    catalogue = load_catalogue()
    for name, cols in catalogue.items():
        if len(cols) < 5 or cols[3] == "-":
            continue
        f = ROOT / cols[3]
        r.check(f.is_file() and cols[4] in f.read_text(), f"{name}: {cols[4]} occurs in {cols[3]}")
    for path, alert, expr, _ in rule_exprs():
        unknown = sorted(n for n in metric_names(expr) if not known(n, catalogue))
        r.check(expr.strip() and not unknown, f"rule {alert} ({path.name}) uses known metrics" + (f"; unknown: {unknown}" if unknown else ""))
    for path in sorted((OBS / "grafana" / "dashboards").glob("*.json")):
        try:
            dash = json.loads(path.read_text())
        except ValueError as e:
            r.check(False, f"{path.name} is valid JSON ({e})")
            continue
        r.check(isinstance(dash.get("panels"), list) and dash.get("uid") and dash.get("title"), f"{path.name} is valid JSON with uid, title, panels")
        ids = [p.get("id") for p in dash["panels"]]
        r.check(len(ids) == len(set(ids)), f"{path.name}: panel ids unique")
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        for v in dash.get("templating", {}).get("list", []):
            q = v.get("query")
            if isinstance(q, dict) and "query" in q:
                m = re.match(r"label_values\((\w+)", q["query"])
                if m:
                    exprs.append(m.group(1))
        unknown = sorted({n for e in exprs for n in metric_names(e) if not known(n, catalogue)})
        r.check(exprs and not unknown, f"{path.name}: {len(exprs)} queries use known metrics" + (f"; unknown: {unknown}" if unknown else ""))
    return r.finish()


def headings(md_text):
    """GitHub-style anchors of a markdown file's headings (fenced code ignored)."""
    anchors, seen, fenced = set(), {}, False
    for line in md_text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        text = re.sub(r"`([^`]*)`", r"\1", m.group(1))
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    for m in re.finditer(r'<a\s+(?:name|id)="([^"]+)"', md_text):
        anchors.add(m.group(1))
    return anchors


def links(md_text):
    """(line number, target) of inline links and reference definitions outside code."""
    out, fenced = [], False
    for no, line in enumerate(md_text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        for m in re.finditer(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
            out.append((no, m.group(1)))
        m = re.match(r"\s*\[[^\]]+\]:\s*(\S+)", line)
        if m:
            out.append((no, m.group(1)))
    return out


def cmd_links():
    r = Result("links")
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "runbooks").rglob("*.md")) + sorted((ROOT / "observability").rglob("*.md"))
    external = []
    for md in files:
        if not md.is_file():
            continue
        text = md.read_text()
        rel = md.relative_to(ROOT)
        for no, target in links(text):
            if re.match(r"[a-z]+:", target):
                external.append(f"{rel}:{no} {target}")
                continue
            path, _, anchor = target.partition("#")
            dest = md if path == "" else (md.parent / path).resolve()
            ok = dest.exists()
            if ok and anchor and dest.is_file() and dest.suffix == ".md":
                ok = anchor in headings(dest.read_text())
            r.check(ok, f"{rel}:{no} -> {target}")
    # Repository paths named in the comments of the monitoring configuration (alert rules,
    # Prometheus config, manifests, scripts) exist too: a comment naming a file that is not
    # there sends the reader nowhere.
    configs = [p for p in sorted(OBS.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".yml", ".sh", ".py")]
    named = re.compile(r"(?<![\w/.$}-])((?:observability|charts|k3s|runbooks|docs|scripts|services|edge|terraform)/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.(?:ya?ml|md|sh|json|ts|tf|py|mjs|tsv|java))\b")
    for cfg in configs:
        rel = cfg.relative_to(ROOT)
        for no, line in enumerate(cfg.read_text().splitlines(), 1):
            for m in named.finditer(line):
                if "<" in m.group(1) or "*" in m.group(1):
                    continue
                r.check((ROOT / m.group(1)).exists(), f"{rel}:{no} names {m.group(1)}")
    # docs/deployment.md's first-staging timetable: every row has its minutes, they add up to
    # the stated total, and the total is at most the 30 minutes the project promises.
    dep = (ROOT / "docs" / "deployment.md").read_text()
    table = dep.split("<!-- timetable:", 1)[1].split("\n", 1)[1].split("\n\n", 1)[0] if "<!-- timetable:" in dep else ""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.splitlines() if line.startswith("|")][2:]
    steps = [row for row in rows if row[0] != ""]
    minutes = [int(row[-1]) if row[-1].isdigit() else None for row in steps]
    total = [int(m) for row in rows if row[0] == "" for m in re.findall(r"\*\*(\d+)\*\*", row[-1])]
    r.check(steps and None not in minutes, f"docs/deployment.md timetable: {len(steps)} rows, each with its minutes")
    r.check(len(total) == 1 and None not in minutes and sum(minutes) == total[0],
            f"docs/deployment.md timetable: rows add up to the stated total ({sum(m or 0 for m in minutes)} vs {total})")
    r.check(len(total) == 1 and total[0] <= 30, f"docs/deployment.md timetable: total {total} is at most 30 minutes")
    # An edge error code a doc quotes ("`503 UNHEALTHY`") is one the edge still answers.
    codes = set(re.findall(r'"([A-Z][A-Z_]+)"', (ROOT / "edge" / "src" / "http" / "errors.ts").read_text()))
    for md in files + [ROOT / "edge" / "README.md"]:
        if md.is_file():
            for m in re.finditer(r"`[0-9]{3} ([A-Z][A-Z_]{3,})`", md.read_text()):
                r.check(m.group(1) in codes, f"{md.relative_to(ROOT)} quotes edge error code {m.group(1)} (edge/src/http/errors.ts)")
    print(f"  external links (listed, not fetched): {len(external)}")
    for e in external:
        print(f"       {e}")
    return r.finish()


def cmd_runbooks():
    r = Result("runbooks")
    tests = "\n".join(p.read_text() for p in (OBS / "prometheus" / "tests").glob("*.yaml"))
    alerts = rule_exprs()
    r.check(len(alerts) > 0, f"{len(alerts)} alert rules found")
    for path, alert, _, ann in alerts:
        url = ann.get("runbook_url", "")
        r.check(re.fullmatch(r"runbooks/[A-Za-z0-9-]+\.md", url) and (ROOT / url).is_file(), f"{alert}: runbook_url {url or '(missing)'} is a runbook file")
        r.check(url == f"runbooks/{alert}.md", f"{alert}: runbook file is named after the alert")
        r.check(re.search(rf"alertname:\s*{alert}\s*$", tests, re.M) is not None, f"{alert}: has a promtool unit test")
    for md in sorted((ROOT / "runbooks").glob("*.md")):
        if md.name == "README.md":
            continue
        found = {m.group(1).strip() for m in re.finditer(r"^##\s+(.+)$", md.read_text(), re.M)}
        missing = [s for s in RUNBOOK_SECTIONS if s not in found]
        r.check(not missing, f"runbooks/{md.name} has {', '.join(RUNBOOK_SECTIONS)}" + (f"; missing {missing}" if missing else ""))
        r.check(f"({md.name})" in (ROOT / "runbooks" / "README.md").read_text(), f"runbooks/{md.name} is listed in runbooks/README.md")
    return r.finish()


if __name__ == "__main__":
    cmds = {"metrics": cmd_metrics, "links": cmd_links, "runbooks": cmd_runbooks}
    if len(sys.argv) != 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(cmds[sys.argv[1]]())
