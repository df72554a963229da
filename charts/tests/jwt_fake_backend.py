"""Exercises the helm test client charts/twist/files/JwtRoundTrip.java without a cluster.

    python charts/tests/jwt_fake_backend.py <java binary> <JwtRoundTrip.java>

Starts, on 127.0.0.1 only, a stand-in for auth-service (POST /auth/nonce, POST /auth/verify with
real Ed25519 verification of the SIWS message, ES256 access tokens) and for influencer-api
(GET /me verifying ES256 with the issuer's public key), then runs the Java client twice:
  1. against the honest stand-in: it must pass;
  2. against an API that accepts any bearer token: it must FAIL (the test really bites).
This checks the test client (base58 wallet, signing, JSON handling, the four assertions), not
the real services; the real round trip runs in `helm test` on a cluster (CI, the VM).
"""
import base64
import json
import os
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                              encode_dss_signature)

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SIGNER = ec.generate_private_key(ec.SECP256R1())
PENDING = {}


def b58decode(s):
    n = 0
    for ch in s:
        n = n * 58 + ALPHABET.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(s) - len(s.lstrip("1"))) + raw


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def issue(wallet):
    header = b64u(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "k1"}).encode())
    payload = b64u(json.dumps({"sub": wallet, "iss": "twist-auth", "aud": "twist-api"}).encode())
    der = SIGNER.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{header}.{payload}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def valid(token):
    try:
        header, payload, sig = token.split(".")
        if json.loads(b64u_dec(header)).get("alg") != "ES256":
            return False
        raw = b64u_dec(sig)
        if len(raw) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        SIGNER.public_key().verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        return True
    except (ValueError, InvalidSignature):
        return False


class Handler(BaseHTTPRequestHandler):
    accept_anything = False

    def log_message(self, *args):
        pass

    def reply(self, status, body=None):
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/auth/nonce":
            wallet = body["walletAddress"]
            if len(b58decode(wallet)) != 32:
                return self.reply(400, {"title": "bad wallet"})
            nonce = secrets.token_hex(12)
            message = (f"twist.finance wants you to sign in with your Solana account:\n{wallet}\n\n"
                       f"Sign in to TWIST \"test\"\n\nURI: https://twist.finance\nVersion: 1\n"
                       f"Chain ID: devnet\nNonce: {nonce}\nIssued At: 2026-01-01T00:00:00Z\n"
                       f"Expiration Time: 2026-01-01T00:05:00Z")
            PENDING[wallet] = message
            return self.reply(200, {"walletAddress": wallet, "nonce": nonce, "message": message})
        if self.path == "/auth/verify":
            wallet = body["walletAddress"]
            message = PENDING.pop(wallet, None)
            if message is None or body.get("message", message) != message:
                return self.reply(401)
            try:
                Ed25519PublicKey.from_public_bytes(b58decode(wallet)).verify(
                    b58decode(body["signature"]), message.encode())
            except (ValueError, InvalidSignature):
                return self.reply(401)
            return self.reply(200, {"tokenType": "Bearer", "accessToken": issue(wallet), "expiresIn": 900})
        self.reply(404)

    def do_GET(self):
        if self.path != "/me":
            return self.reply(404)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and (self.accept_anything or valid(auth[7:])):
            return self.reply(200, {"wallet": "ok"})
        self.reply(401)


def run_client(java, source, accept_anything):
    Handler.accept_anything = accept_anything
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    env = dict(os.environ, AUTH_URL=url, API_URL=url, PROTECTED_PATH="/me")
    try:
        p = subprocess.run([java, "-XX:-UsePerfData", "-Xmx192m", source], env=env, capture_output=True,
                           text=True, timeout=120)
    finally:
        server.shutdown()
    return p.returncode, p.stdout + p.stderr


def main():
    java, source = sys.argv[1], sys.argv[2]
    failed = 0
    code, out = run_client(java, source, accept_anything=False)
    ok = code == 0 and "PASS jwt round trip" in out
    print(("PASS" if ok else "FAIL") + " helm JWT test client: full login and token checks against a stand-in")
    if not ok:
        print(out)
        failed += 1
    code, out = run_client(java, source, accept_anything=True)
    ok = code != 0 and "FAIL expected 401, got 200" in out
    print(("PASS" if ok else "FAIL") + " helm JWT test client fails when the API accepts a forged token")
    if not ok:
        print(out)
        failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
