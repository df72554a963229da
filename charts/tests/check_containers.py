"""Container checks that need no Docker engine (issue 8): a written checklist for the
Dockerfiles (on top of hadolint) and for docker-compose.backend.yml / .env.backend.example
(on top of the Compose-specification validation done by compose-config).

    python charts/tests/check_containers.py <repo root>

Prints "PASS <check>" / "FAIL <check>: <why>" per check; exits 1 when any failed.
"""
import re
import sys
from pathlib import Path

import yaml

results = []


def check(name, ok, why=""):
    results.append((name, bool(ok), why))


SERVICES = {"auth-service": 3001, "influencer-api": 3003}


def dockerfile_instructions(text):
    """(instruction, arguments, preceding comment lines) with continuations joined."""
    out, comments, buf = [], [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and stripped.startswith("#"):
            comments.append(stripped)
            continue
        if not buf and not stripped:
            continue
        buf += (" " if buf else "") + stripped.rstrip("\\").strip()
        if stripped.endswith("\\"):
            continue
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip(), comments))
        buf, comments = "", []
    return out


def check_dockerfile(root):
    """services/Dockerfile: one multi-stage file for both services (build arg SERVICE)."""
    path = root / "services" / "Dockerfile"
    name = "Dockerfile"
    if not path.exists():
        check(f"{name} exists", False, str(path))
        return
    for svc in SERVICES:
        old = root / "services" / svc / "Dockerfile"
        check(f"no second Dockerfile services/{svc}/Dockerfile (one file for both services)",
              not old.exists())
    ins = dockerfile_instructions(path.read_text())
    froms = [(i, a, c) for i, (w, a, c) in enumerate(ins) if w == "FROM"]
    check(f"{name} is multi-stage", len(froms) >= 2, f"{len(froms)} FROM")
    # base images are ARG defaults (BUILD_IMAGE, RUNTIME_IMAGE) so a machine without a registry
    # can name local equivalents; each default is a tag, marked for CI's digest pinning
    args = {}
    for i, (w, a, c) in enumerate(ins):
        if w == "ARG" and "=" in a and i < froms[0][0]:
            key, _, value = a.partition("=")
            args[key] = (value, c)
    for _, fargs, _ in froms:
        words = [w for w in fargs.split() if not w.startswith("--")]
        m = re.fullmatch(r"\$\{?([A-Z_]+)\}?", words[0])
        check(f"{name} FROM {words[0]} names a global ARG with a default", m and m.group(1) in args,
              f"args {sorted(args)}")
    for key, (ref, comments) in args.items():
        if not key.endswith("_IMAGE"):
            continue
        repo_tag = ref.split("@")[0]
        tag = repo_tag.rsplit(":", 1)[1] if ":" in repo_tag.rsplit("/", 1)[-1] else ""
        check(f"{name} base {ref} has an explicit tag, not latest", tag and tag != "latest")
        named = any(re.search(r"base: " + re.escape(repo_tag) + r"\b", c) for c in comments)
        pinned = "@sha256:" in ref
        check(f"{name} base {repo_tag} is pinned by digest or marked for CI pinning "
              "(comment naming the tag)", named and (pinned or any("digest pinned by CI" in c for c in comments)),
              f"comments {comments}")
    check(f"{name} build stage runs on $BUILDPLATFORM (one compile for amd64 and arm64)",
          "--platform=$BUILDPLATFORM" in froms[0][1])
    final = ins[froms[-1][0]:]
    users = [a for w, a, _ in final if w == "USER"]
    check(f"{name} final USER is a numeric non-root uid:gid",
          users and re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[-1]), f"USER {users}")
    check(f"{name} has a HEALTHCHECK in the runtime stage",
          any(w == "HEALTHCHECK" and "NONE" not in a for w, a, _ in final))
    labels = " ".join(a for w, a, _ in final if w == "LABEL")
    for key in ("source", "revision", "version"):
        check(f"{name} OCI label org.opencontainers.image.{key}",
              f"org.opencontainers.image.{key}=" in labels)
    entry = " ".join(a for w, a, _ in final if w == "ENTRYPOINT")
    check(f"{name} ENTRYPOINT is exec form", entry.startswith("["))
    for flag in ("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError"):
        check(f"{name} JVM flag {flag}", flag in entry)
    body = path.read_text()
    check(f"{name} runs the jar the build stage links as /app/service.jar",
          "/app/service.jar" in entry and 'ln -s "${SERVICE}.jar" /out/service.jar' in body)
    check(f"{name} copies services/$SERVICE/target/$SERVICE.jar and its libs/",
          'services/${SERVICE}/target/${SERVICE}.jar' in body and 'services/${SERVICE}/target/libs' in body)
    check(f"{name} EXPOSE and SERVER_PORT follow the PORT build arg",
          any(w == "EXPOSE" and "${PORT}" in a for w, a, _ in final)
          and any(w == "ENV" and "SERVER_PORT=${PORT}" in a for w, a, _ in final))
    check(f"{name} no ADD of remote URLs",
          not any(w == "ADD" and "://" in a for w, a, _ in ins))
    check(f"{name} no secret baked into ENV/ARG",
          not any(w in ("ENV", "ARG") and re.search(r"(PASSWORD|SECRET|TOKEN|_KEYS?)=\S", a)
                  for w, a, _ in ins))
    # what each module's pom really builds: finalName <service>, libs/ class path
    for svc in SERVICES:
        pom = root / "services" / svc / "pom.xml"
        pom_text = pom.read_text() if pom.exists() else ""
        check(f"{name} SERVICE={svc}: the pom builds {svc}.jar with a libs/ class path",
              f"<finalName>{svc}</finalName>" in pom_text
              and "<classpathPrefix>libs</classpathPrefix>" in pom_text, str(pom))


def check_dockerignore(root):
    p = root / ".dockerignore"
    lines = [l.strip() for l in p.read_text().splitlines()] if p.exists() else []
    check(".dockerignore excludes everything by default (allow-list)", "*" in lines)
    check(".dockerignore lets in only pom.xml and services/",
          {l for l in lines if l.startswith("!")} == {"!pom.xml", "!services/"})
    check(".dockerignore excludes build output and env files",
          "services/**/target/" in lines and any(".env" in l for l in lines))


def env_example(root):
    values = {}
    for line in (root / ".env.backend.example").read_text().splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def check_compose(root):
    raw = (root / "docker-compose.backend.yml").read_text()
    doc = yaml.safe_load(raw)
    example = env_example(root)
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", raw))
    missing = sorted(used - set(example))
    check("compose: every ${VAR} is documented in .env.backend.example", not missing,
          f"missing {missing}")
    unused = sorted(set(example) - used)
    check("compose: .env.backend.example has no variable compose ignores", not unused,
          f"unused {unused}")
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", raw))
    check("compose: secrets are required (${VAR:?message})",
          {"DB_PASSWORD", "REDIS_PASSWORD", "AUTH_JWT_KEYS", "EDGE_SERVICE_KEY"} <= required,
          f"required {sorted(required)}")
    filled = sorted(v for v in required if example.get(v, "").strip("'\""))
    check("compose: required secrets are empty in the example (no usable placeholder)",
          not filled, f"filled {filled}")
    services = doc["services"]
    check("compose: the five services", set(services) ==
          {"postgres", "redis", "migrate", "auth-service", "influencer-api"}, sorted(services))
    for name, s in services.items():
        if name == "migrate":
            check("compose: migrate is one-shot (restart no)", s.get("restart") == "no")
            check("compose: migrate runs the migrate command", s.get("command") == ["migrate"])
            continue
        check(f"compose: {name} restart unless-stopped", s.get("restart") == "unless-stopped")
        hc = s.get("healthcheck") or {}
        check(f"compose: {name} has a health check", hc.get("test") and not hc.get("disable"))
    for name, s in services.items():
        mem = (((s.get("deploy") or {}).get("resources") or {}).get("limits") or {}).get("memory")
        check(f"compose: {name} has a memory limit", mem or s.get("mem_limit"))
        for env_name, value in (s.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|_KEYS?$|TOKEN|AUTH$", env_name):
                check(f"compose: {name} {env_name} comes from the env file",
                      isinstance(value, str) and value.startswith("${"), f"value {value!r}")
    for name in ("postgres", "redis"):
        ports = services[name].get("ports") or []
        check(f"compose: {name} published on 127.0.0.1 only",
              ports and all(str(p).startswith("127.0.0.1:") for p in ports), ports)
        vols = services[name].get("volumes") or []
        check(f"compose: {name} keeps data in a named volume",
              vols and all(str(v).split(":")[0] in (doc.get("volumes") or {}) for v in vols))
    check("compose: PostgreSQL 17 (official image unless POSTGRES_IMAGE names an equivalent)",
          re.fullmatch(r"\$\{POSTGRES_IMAGE:-postgres:17[^}]*\}", services["postgres"]["image"]),
          services["postgres"]["image"])
    check("compose: Redis 7 (official image unless REDIS_IMAGE names an equivalent)",
          re.fullmatch(r"\$\{REDIS_IMAGE:-redis:7[^}]*\}", services["redis"]["image"]),
          services["redis"]["image"])
    redis_cmd = " ".join(services["redis"].get("command") or [])
    check("compose: Redis requires a password and keeps an AOF",
          "requirepass" in redis_cmd and "--appendonly yes" in redis_cmd)
    check("compose: Redis password never on a command line or in the health check",
          "--requirepass" not in redis_cmd
          and " -a " not in " ".join(map(str, services["redis"]["healthcheck"]["test"])))
    for svc, port in SERVICES.items():
        s = services[svc]
        check(f"compose: {svc} on host port {port}",
              any(str(p).endswith(f":{port}:{port}") for p in s.get("ports") or []))
        check(f"compose: {svc} read-only root with a /tmp tmpfs",
              s.get("read_only") is True and any(str(t).startswith("/tmp") for t in s.get("tmpfs") or []))
        check(f"compose: {svc} drops all capabilities", s.get("cap_drop") == ["ALL"])
        check(f"compose: {svc} health check gates on /ready",
              "/ready" in " ".join(map(str, s["healthcheck"]["test"])))
        build = s.get("build") or {}
        build_args = build.get("args") or []
        check(f"compose: {svc} builds services/Dockerfile with SERVICE={svc} and PORT={port}",
              build.get("dockerfile") == "services/Dockerfile"
              and f"SERVICE={svc}" in build_args and f"PORT={port}" in build_args, build)
        check(f"compose: {svc} base-image overrides come from the environment only (no value)",
              "BUILD_IMAGE" in build_args and "RUNTIME_IMAGE" in build_args, build_args)
    check("compose: migrate and influencer-api are one build",
          services["migrate"].get("build") == services["influencer-api"].get("build")
          and services["migrate"].get("image") == services["influencer-api"].get("image"))
    deps = services["influencer-api"].get("depends_on") or {}
    check("compose: influencer-api waits for migrate to complete successfully",
          (deps.get("migrate") or {}).get("condition") == "service_completed_successfully")
    for dep in ("postgres", "redis", "auth-service"):
        check(f"compose: influencer-api waits for {dep} healthy",
              (deps.get(dep) or {}).get("condition") == "service_healthy")
    check("compose: migrate waits for postgres healthy",
          ((services["migrate"].get("depends_on") or {}).get("postgres") or {}).get("condition")
          == "service_healthy")


def main():
    root = Path(sys.argv[1]).resolve()
    check_dockerfile(root)
    check_dockerignore(root)
    check_compose(root)
    failed = 0
    for name, ok, why in results:
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {why}"))
        failed += not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
