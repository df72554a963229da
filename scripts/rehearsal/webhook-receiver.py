#!/usr/bin/env python3
"""The webhook end of the rehearsal's alert delivery (scripts/rehearsal/alerting.sh): an HTTP
server on 127.0.0.1 that appends every POST it receives, as one JSON line with the time it arrived
and the path, to a file. Alertmanager's webhook_config posts its documented JSON payload
(https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): version "4",
receiver, status (firing|resolved), alerts[] with labels, annotations, startsAt, endsAt.

  webhook-receiver.py PORT OUT.jsonl
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            payload = json.loads(body)
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"received": time.time(), "path": self.path, "payload": payload}) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
