"""A local stand-in (http.server on 127.0.0.1) for the three Cloudflare API endpoints the edge
rollback uses, answering as Cloudflare documents them. Simulated: nothing here talks to Cloudflare.

- Get Version Detail: GET /accounts/{account_id}/workers/scripts/{script_name}/versions/{version_id}
  -> result {id, number, metadata, annotations {"workers/message", "workers/tag"}, resources}
  https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/versions/methods/get/
- List Deployments: GET .../workers/scripts/{script_name}/deployments -> result {deployments: [...]},
  "The first deployment in the list is the latest deployment actively serving traffic."
  https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/deployments/methods/list/
- Create Deployment: POST .../workers/scripts/{script_name}/deployments with body {strategy:
  "percentage", versions: [{version_id, percentage}], annotations?: {"workers/message"}}; "A
  deployment can consist of one or two versions of a Worker" whose percentages add to 100.
  https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/deployments/methods/create/
Every answer is the v4 envelope {success, errors, messages, result}
(https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/); a missing or wrong
bearer token answers 403 with code 10000 ("Authentication error"); an unknown version 404.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import uuid

PATH = re.compile(r"^/client/v4/accounts/(?P<account>[0-9a-f]{32})/workers/scripts/(?P<script>[\w-]+)/(?P<rest>.+)$")


class FakeCloudflare:
    def __init__(self, token: str, account: str, script: str):
        self.token, self.account, self.script = token, account, script
        self.versions: dict[str, dict] = {}
        self.deployments: list[dict] = []  # newest first
        self.requests: list[tuple[str, str, dict | None]] = []
        self._srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._srv.server_address[1]}/client/v4"

    # what a Terraform deploy leaves behind: one version per release, deployed at 100%
    def upload_version(self, release: str, bundle_sha256: str) -> str:
        vid = str(uuid.uuid4())
        self.versions[vid] = {
            "id": vid, "number": len(self.versions) + 1,
            "metadata": {"author_email": "ci@example.invalid", "source": "terraform", "created_on": "2026-12-03T14:00:00Z"},
            "annotations": {"workers/tag": release[:40], "workers/message": f"release={release} bundle_sha256={bundle_sha256}"},
            "resources": {"bindings": [], "script": {"handlers": ["fetch", "queue"]}},
        }
        return vid

    def deploy(self, vid: str, message: str = "terraform") -> dict:
        d = {"id": str(uuid.uuid4()), "source": "api", "strategy": "percentage", "author_email": "ci@example.invalid",
             "created_on": "2026-12-03T14:00:00Z", "versions": [{"version_id": vid, "percentage": 100}],
             "annotations": {"workers/message": message}}
        self.deployments.insert(0, d)
        return d

    def serving(self) -> list[dict]:
        return self.deployments[0]["versions"] if self.deployments else []

    def start(self):
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._srv.shutdown()

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code, result=None, errors=()):
                body = json.dumps({"success": not errors, "errors": [{"code": c, "message": m} for c, m in errors],
                                   "messages": [], "result": result}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append((method, self.path, body))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(403, errors=[(10000, "Authentication error")])
                m = PATH.match(self.path)
                if not m or m["account"] != fake.account or m["script"] != fake.script:
                    return self._send(404, errors=[(10007, "This Worker does not exist on your account.")])
                rest = m["rest"]
                if method == "GET" and rest.startswith("versions/"):
                    v = fake.versions.get(rest.split("/", 1)[1])
                    return self._send(200, v) if v else self._send(404, errors=[(10245, "version not found")])
                if method == "GET" and rest == "deployments":
                    return self._send(200, {"deployments": fake.deployments})
                if method == "POST" and rest == "deployments":
                    versions = (body or {}).get("versions") or []
                    if (body or {}).get("strategy") != "percentage" or not 1 <= len(versions) <= 2:
                        return self._send(400, errors=[(10021, "strategy must be percentage with one or two versions")])
                    if sum(v.get("percentage", 0) for v in versions) != 100:
                        return self._send(400, errors=[(10021, "percentages must add to 100")])
                    if any(v.get("version_id") not in fake.versions for v in versions):
                        return self._send(400, errors=[(10245, "version not found")])
                    d = {"id": str(uuid.uuid4()), "source": "api", "strategy": "percentage", "author_email": "ops@example.invalid",
                         "created_on": "2026-12-03T15:00:00Z", "versions": versions, "annotations": body.get("annotations", {})}
                    fake.deployments.insert(0, d)
                    return self._send(200, d)
                return self._send(405, errors=[(10000, f"{method} {rest} is not modelled")])

            def do_GET(self):  # noqa: N802
                self._route("GET")

            def do_POST(self):  # noqa: N802
                self._route("POST")

            def log_message(self, *a):
                pass

        return Handler
