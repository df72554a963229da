"""scripts/github/ghcr-public.sh against a local double of GHCR's anonymous pull API (issue 17,
item 6): a private package fails the deploy in seconds with what to do, a public one passes.

The double models only documented behaviour (it is a stand-in for ghcr.io, which tests cannot
reach):
- GitHub: a new container package is private, and public packages can be pulled anonymously
  (https://docs.github.com/en/packages/working-with-a-github-packages-registry/working-with-the-container-registry,
  https://docs.github.com/en/packages/learn-github-packages/configuring-a-packages-access-control-and-visibility).
- Token flow of the distribution spec (https://distribution.github.io/distribution/spec/auth/token/):
  GET /token?scope=repository:<name>:pull&service=<registry> without credentials answers
  200 {"token": …} when anonymous pull is allowed; GHCR answers 401 for a private (or unknown)
  package, e.g. `curl 'https://ghcr.io/token?scope=repository:openai/tunnel-client-runtime:pull&service=ghcr.io'`
  -> 401 while the public sibling -> 200 (https://github.com/openai/tunnel-client/issues/75).
- OCI distribution spec, "Pulling manifests"
  (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests):
  HEAD /v2/<name>/manifests/<reference> answers 200 with Docker-Content-Digest when it exists,
  404 (MANIFEST_UNKNOWN) when not, 401 with WWW-Authenticate: Bearer … without a valid token.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "github" / "ghcr-public.sh"
D_AUTH = "sha256:" + "a" * 64
D_API = "sha256:" + "b" * 64
D_MISSING = "sha256:" + "c" * 64


class Ghcr(http.server.BaseHTTPRequestHandler):
    public: set = set()  # package names with public visibility
    manifests: dict = {}  # name -> set of digests/tags pushed
    tokens: dict = {}  # token -> the one repository it grants pull on
    requests: list = []

    def log_message(self, *a):
        pass

    def _send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, code, err, msg, headers=None):
        self._send(code, json.dumps({"errors": [{"code": err, "message": msg}]}).encode(), headers)

    def do_GET(self):  # noqa: N802
        self.requests.append((self.command, self.path, self.headers.get("Authorization")))
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            return self._error(404, "NOT_FOUND", "not found")
        q = urllib.parse.parse_qs(url.query)
        scope = q.get("scope", [""])[0]
        if not scope.startswith("repository:") or not scope.endswith(":pull") or q.get("service") != ["ghcr.io"]:
            return self._error(400, "UNSUPPORTED", "bad scope or service")
        name = scope[len("repository:"):-len(":pull")]
        if self.headers.get("Authorization") is None and name not in self.public:
            # anonymous token for a private or unknown package: refused
            return self._error(401, "UNAUTHORIZED", "authentication required")
        token = secrets.token_hex(16)
        self.tokens[token] = name
        self._send(200, json.dumps({"token": token}).encode(), {"Content-Type": "application/json"})

    def do_HEAD(self):  # noqa: N802
        self.requests.append((self.command, self.path, self.headers.get("Authorization")))
        parts = self.path.split("/manifests/")
        if not self.path.startswith("/v2/") or len(parts) != 2:
            return self._error(404, "NAME_UNKNOWN", "unknown")
        name, reference = parts[0][len("/v2/"):], parts[1]
        auth = self.headers.get("Authorization", "")
        challenge = {"WWW-Authenticate": f'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:{name}:pull"'}
        if not auth.startswith("Bearer ") or self.tokens.get(auth[len("Bearer "):]) != name:
            return self._error(401, "UNAUTHORIZED", "authentication required", challenge)
        if reference not in self.manifests.get(name, set()):
            return self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        self._send(200, headers={"Docker-Content-Digest": reference if reference.startswith("sha256:") else D_AUTH,
                                 "Content-Type": "application/vnd.oci.image.index.v1+json"})


@pytest.fixture
def ghcr():
    Ghcr.public, Ghcr.manifests, Ghcr.tokens, Ghcr.requests = set(), {}, {}, []
    Ghcr.manifests = {"acme/twist-auth-service": {D_AUTH}, "acme/twist-influencer-api": {D_API}}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ghcr)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield Ghcr, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def check(url, *refs):
    start = time.monotonic()
    r = subprocess.run(["bash", str(SCRIPT), *refs], capture_output=True, text=True,
                       env={**os.environ, "GHCR_URL": url, "GHCR_TIMEOUT": "5"}, timeout=60)
    return r, time.monotonic() - start


REFS = ("ghcr.io/acme/twist-auth-service@" + D_AUTH, "ghcr.io/acme/twist-influencer-api@" + D_API)


def test_private_packages_fail_in_seconds_with_what_to_do(ghcr):
    double, url = ghcr  # nothing public: GHCR's default for a new package
    r, took = check(url, *REFS)
    assert r.returncode == 1
    assert took < 10, f"the check must fail fast, took {took:.1f}s"
    assert "acme/twist-auth-service refuses an anonymous pull token (HTTP 401)" in r.stderr
    assert "Change visibility → Public" in r.stderr and "ImagePullBackOff" in r.stderr
    assert "twist-influencer-api" in r.stderr, "every private package is named, not only the first"
    # it asked exactly as an anonymous client does: no credentials at all
    assert all(auth is None for method, _, auth in double.requests if method == "GET")


def test_one_private_package_is_enough_to_fail(ghcr):
    double, url = ghcr
    double.public = {"acme/twist-auth-service"}
    r, _ = check(url, *REFS)
    assert r.returncode == 1
    assert "twist-auth-service@" + D_AUTH + " is pullable anonymously" in r.stdout
    assert "acme/twist-influencer-api refuses an anonymous pull token" in r.stderr


def test_public_packages_pass_with_a_scoped_bearer_token(ghcr):
    double, url = ghcr
    double.public = {"acme/twist-auth-service", "acme/twist-influencer-api"}
    r, _ = check(url, *REFS)
    assert r.returncode == 0, r.stderr
    heads = [(p, a) for m, p, a in double.requests if m == "HEAD"]
    assert len(heads) == 2 and all(a and a.startswith("Bearer ") for _, a in heads)


def test_a_digest_that_was_never_pushed_is_reported(ghcr):
    double, url = ghcr
    double.public = {"acme/twist-auth-service"}
    r, _ = check(url, "ghcr.io/acme/twist-auth-service@" + D_MISSING)
    assert r.returncode == 1
    assert "no manifest " + D_MISSING + " (HTTP 404, MANIFEST_UNKNOWN)" in r.stderr


def test_unreachable_registry_fails(ghcr):
    r, took = check("http://127.0.0.1:9", *REFS)
    assert r.returncode == 1 and "unreachable" in r.stderr and took < 15


@pytest.mark.parametrize("bad", ["twist-auth-service", "ghcr.io/acme/x@sha256:abc", "ghcr.io/acme/X:1"])
def test_bad_references_are_usage_errors(ghcr, bad):
    _, url = ghcr
    r, _ = check(url, bad)
    assert r.returncode == 2
