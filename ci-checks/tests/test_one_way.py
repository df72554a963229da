"""One way to do each thing (issue 24). The rules that can be checked by reading the tree:

- tools are installed in one place, bin/lib/tools.sh: no other script or workflow runs
  `go install`, `pip install` or `pip download`, and `npm ci` runs only for the edge's own
  dependencies (edge/package-lock.json) and in the installer;
- one domain name, twist.finance (hosts, problem types, label prefixes, examples);
- no comment or doc refers to a codebase the reader does not have ("the earlier edge"), and no
  file points at the workplace outside the repository;
- one meaning per name: one `AuthSettings` (auth-service's settings);
- formatting and lint are checked for both languages: Spotless (Palantir) in the Maven build's
  validate phase, Biome in edge/scripts/test.sh; the generated worker types are marked generated.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SELF = "ci-checks/tests/test_one_way.py"


def tracked() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    out = {}
    for name in names:
        p = ROOT / name
        if not p.is_file() or name.endswith(("package-lock.json", ".whl")) or "/node_modules/" in name:
            continue
        if name.startswith(".tools/") or "/target/" in name or "/.tools/" in name:
            continue
        try:
            out[name] = p.read_text()
        except (UnicodeDecodeError, OSError):
            continue
    return out


FILES = tracked()


def code_lines(text: str):
    """(line number, line) of lines that are not comments (shell/YAML/Python comments)."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        yield n, line


INSTALLER = "bin/lib/tools.sh"
GO_INSTALL = re.compile(r"(?:\bgo|\$\{?go_bin\}?\"?)\s+install\b")
PIP_INSTALL = re.compile(r"\bpip3?\s+(install|download)\b")
NPM_CI = re.compile(r"\bnpm\s+(ci|install)\b")
# npm for the edge's own dependencies (its package-lock.json), not for a tool
NPM_FOR_THE_EDGE = {"edge/scripts/test.sh", "bin/run", "terraform/scripts/deploy.sh", ".github/workflows/deploy-staging.yml",
                    ".github/workflows/deploy-production.yml"}


def scripts_and_workflows():
    for name, text in FILES.items():
        if name == SELF or name.endswith(".md"):
            continue
        if (name.endswith((".sh", ".yml", ".yaml")) or name.startswith("bin/")
                or text.startswith(("#!/usr/bin/env bash", "#!/bin/sh", "#!/bin/bash"))):
            yield name, text


def test_tools_are_installed_in_one_place():
    hits = []
    for name, text in scripts_and_workflows():
        if name == INSTALLER:
            continue
        for n, line in code_lines(text):
            if GO_INSTALL.search(line) or PIP_INSTALL.search(line):
                hits.append(f"{name}:{n}: {line.strip()}")
            if NPM_CI.search(line) and name not in NPM_FOR_THE_EDGE:
                hits.append(f"{name}:{n}: {line.strip()}")
    assert not hits, ("install tools through bin/lib/tools.sh (tools_install / tools_venv / tools_npm), "
                      "not by hand:\n" + "\n".join(hits))


def test_the_installer_knows_every_go_tool_by_a_versions_env_key():
    text = FILES[INSTALLER]
    for name, key in [("helm", "HELM_VERSION"), ("kubeconform", "KUBECONFORM_VERSION"),
                      ("actionlint", "ACTIONLINT_VERSION"), ("gitleaks", "GITLEAKS_VERSION"),
                      ("promtool", "PROMETHEUS_MODULE_VERSION"), ("vegeta", "VEGETA_VERSION"),
                      ("terraform", "TERRAFORM_TEST_VERSION")]:
        assert re.search(rf"^\s+{name}\)[^\n]*|^\s+{name}\)\n[^\n]*", text, re.M), f"tools.sh lacks {name}"
        assert f"${key}" in text or f"${{{key}}}" in text, f"tools.sh does not read {key}"


OTHER_DOMAINS = re.compile(r"\btwist\.(io|example|com|dev|app|org)\b")


def test_one_domain_name():
    hits = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for name, text in FILES.items() if name != SELF
            for m in OTHER_DOMAINS.finditer(text)]
    assert not hits, "twist.finance is the project's one domain:\n" + "\n".join(hits)


def test_no_reference_to_code_or_files_outside_the_repository():
    hits = []
    for name, text in FILES.items():
        if name == SELF:
            continue
        for rx in (re.compile(r"(?i)\bearlier edge\b"), re.compile(r"\.\./shared/reference"),
                   re.compile(r"in the workplace")):
            for m in rx.finditer(text):
                hits.append(f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}")
    assert not hits, "\n".join(hits)


def test_one_auth_settings():
    defs = [name for name, text in FILES.items() if name.endswith(".java")
            and re.search(r"\b(record|class)\s+AuthSettings\b", text)]
    assert defs == ["services/auth-service/src/main/java/finance/twist/auth/AuthSettings.java"], defs


def test_formatting_and_lint_are_checked_for_java_and_typescript():
    pom = FILES["pom.xml"]
    spotless = pom[pom.index("<artifactId>spotless-maven-plugin</artifactId>"):]
    spotless = spotless[:spotless.index("</plugin>")]
    assert "<goal>check</goal>" in spotless and "<phase>validate</phase>" in spotless
    assert "<pluginManagement>" not in pom or pom.index("<artifactId>spotless-maven-plugin</artifactId>") > \
        pom.index("</pluginManagement>"), "spotless must be an active build plugin, not only managed"
    test_sh = FILES["edge/scripts/test.sh"]
    assert re.search(r"^npx biome ci --error-on-warnings", test_sh, re.M), "bin/test edge must run biome ci"
    pkg = FILES["edge/package.json"]
    assert re.search(r'"@biomejs/biome":\s*"\d+\.\d+\.\d+"', pkg), "Biome pinned exactly"
    assert re.search(r"^edge/worker-configuration\.d\.ts\s+linguist-generated=true", FILES[".gitattributes"], re.M)
    assert "!worker-configuration.d.ts" in FILES["edge/biome.jsonc"], "the generated types are not formatted by hand"
