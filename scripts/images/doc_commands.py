"""The commands the README and docs/deploy-compose.md give for the compose stack, extracted so
that scripts/images/test.sh runs exactly what the documents say (a changed document changes the
test, a removed command fails it).

    python3 scripts/images/doc_commands.py <repo root>   -> KEY<TAB>command lines:
      readme_copy     README "With Docker": the cp of .env.backend.example
      readme_up       README "With Docker": the docker compose ... up command
      secret:NAME     docs/deploy-compose.md "The required values": the command generating NAME
      build_auth      docs/deploy-compose.md: the build of the auth image alone (before the key)
"""
import re
import sys
from pathlib import Path


def fail(why):
    print(f"doc_commands: {why}", file=sys.stderr)
    sys.exit(1)


def section(text, heading):
    m = re.search(r"^#+ " + re.escape(heading) + r"\s*$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    if not m:
        fail(f"no section '{heading}'")
    return m.group(1)


def main():
    root = Path(sys.argv[1])
    out = {}
    readme = section((root / "README.md").read_text(), "With Docker")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    if not block:
        fail("README 'With Docker' has no bash block")
    for line in block.group(1).splitlines():
        cmd = line.split("  #")[0].strip()
        if cmd.startswith("cp .env.backend.example .env.backend"):
            out["readme_copy"] = cmd
        elif cmd.startswith("docker compose ") and " up " in f"{cmd} ":
            out["readme_up"] = cmd
    doc = (root / "docs" / "deploy-compose.md").read_text()
    values = section(doc, "The required values")
    for row in values.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) != 2:
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        commands = [c.replace("\\|", "|") for c in re.findall(r"`([^`]+)`", cells[1])]
        commands = [c for c in commands if c.startswith(("openssl ", "docker run "))]
        for name in names:
            if commands:
                out[f"secret:{name}"] = commands[0]
    build = re.search(r"Build the auth image alone[^`]*`(docker build [^`]+)`", values, re.S)
    if build:
        out["build_auth"] = build.group(1)
    for key in ("readme_copy", "readme_up", "secret:DB_PASSWORD", "secret:REDIS_PASSWORD",
                "secret:EDGE_SERVICE_KEY", "secret:AUTH_JWT_KEYS", "build_auth"):
        if key not in out:
            fail(f"no documented command for {key}")
    for key, cmd in out.items():
        print(f"{key}\t{cmd}")


if __name__ == "__main__":
    main()
