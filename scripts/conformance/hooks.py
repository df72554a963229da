"""Schemathesis hooks of the conformance run (scripts/conformance/run.sh; SCHEMATHESIS_HOOKS).

`schema_valid_request_accepted` replaces Schemathesis' own positive_data_acceptance: a request the
document says is valid must not be answered 400 or 422, except with one of the problem types below.
Each of those refuses a well-formed request because of server state or configuration, or a rule
between members JSON Schema cannot state; each is named in the document's response descriptions.
Anything else (a shape the document allows and the code refuses) fails the run.
"""
import hashlib
import hmac
import json
import os
import time
import uuid

import base64

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58_decode(text: str):
    if not text or any(c not in B58 for c in text):
        return None
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def base64_decode(text: str):
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


# Checkers of the documents' own formats: a value that breaks its declared format is not a
# schema-valid value, whatever the pattern allows (Schemathesis' coverage phase derives boundary
# values from patterns and lengths only).
FORMATS = {
    "solana-address": lambda v: isinstance(v, str) and len(base58_decode(v) or b"") == 32,
    "ed25519-signature": lambda v: isinstance(v, str)
    and (len(base58_decode(v) or b"") == 64 or len(base64_decode(v) or b"") == 64),
}


def _breaks_a_format(schema, value, resolve) -> bool:
    """Whether `value` breaks a `format` of FORMATS anywhere in `schema` (objects and $refs followed)."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return False
    check = FORMATS.get(schema.get("format"))
    if check is not None and not check(value):
        return True
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value and _breaks_a_format(sub, value[name], resolve):
                return True
    for sub in schema.get("allOf", []):
        if _breaks_a_format(sub, value, resolve):
            return True
    return False


# The documents' own formats (auth-service): what the code checks beyond the pattern.
schemathesis.openapi.format("solana-address", st.binary(min_size=32, max_size=32).map(base58))
schemathesis.openapi.format(
    "ed25519-signature",
    st.binary(min_size=64, max_size=64).flatmap(
        lambda b: st.sampled_from([base58(b), base64.b64encode(b).decode()])
    ),
)

PROBLEMS = "https://twist.finance/problems/"

# slug -> why a schema-valid request may get it
STATE_OR_CROSS_FIELD = {
    "unknown-product": "no active product has this id (state)",
    "emission-budget-exhausted": "the day's reward budget is used up, by this run's own fuzzed deliveries too (state)",
    "destination-not-allowed": "the host is not a configured destination (configuration)",
    "invalid-verification-token": "the token is unknown, used or expired (state)",
    "idempotency-key-reused": "the key was used before with another request (state)",
    "unsupported-currency": "no conversion rate is configured for the currency (configuration)",
    "invalid-date-range": "'from' after 'to' or more than 366 days apart (between members)",
    "below-minimum-payout": "not reached: the document's pattern starts at the minimum",
    "below-minimum-stake": "the pool's own minimum stake (state; 1 TWIST at creation)",
    "invalid-refresh-token-family": "auth-service: the refresh token is unknown or used (state)",
}


def _signed(case, key, path, extra, prefix):
    """Sends the body as the exact bytes it signs: hex HMAC-SHA256 over METHOD\\nPATH\\nTS\\nBODY."""
    raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    timestamp = str(int(time.time() * 1000))
    signature = hmac.new(key, b"POST\n" + path.encode() + b"\n" + timestamp.encode() + b"\n" + raw, hashlib.sha256)
    case.body = raw
    case.headers = {**(case.headers or {}), **extra, prefix + "Timestamp": timestamp, prefix + "Signature": signature.hexdigest()}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Real credentials where the document's security needs more than a bearer token.

    - an Idempotency-Key unique to the request (a generated key repeats across requests, and a
      repeat with another body is a correct 422 that would hide what the request tests);
    - POST /conversions signed with the run's merchant key (scripts/conformance/tokens.mjs);
    - POST /internal/vau-rewards signed with the stack's EDGE_SERVICE_KEY.
    Only schema-valid requests are signed; a negative one keeps its generated headers.
    """
    headers = case.headers or {}
    if "Idempotency-Key" in headers and case.meta is not None and case.meta.generation.mode.is_positive:
        case.headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    if case.meta is None or not case.meta.generation.mode.is_positive or case.body is None:
        return
    path = case.operation.path
    if path == "/conversions" and os.environ.get("MERCHANT_SECRET"):
        _signed(case, os.environ["MERCHANT_SECRET"].encode(), path, {"X-Twist-Key-Id": os.environ["MERCHANT_KEY_ID"]}, "X-Twist-")
    elif path == "/internal/vau-rewards" and os.environ.get("EDGE_SERVICE_KEY"):
        _signed(case, os.environ["EDGE_SERVICE_KEY"].encode(), path, {"X-Service-Id": "edge"}, "X-")


def _body_breaks_a_format(case) -> bool:
    raw = case.operation.schema.raw_schema
    body = (case.operation.definition.raw.get("requestBody") or {}).get("content", {}).get("application/json", {})

    def resolve(schema):
        while isinstance(schema, dict) and "$ref" in schema:
            node = raw
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    return _breaks_a_format(body.get("schema", {}), case.body, resolve)


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    if response.status_code not in (400, 422):
        return None
    if isinstance(case.body, (dict, list)) and _body_breaks_a_format(case):
        return None
    try:
        slug = str(json.loads(response.content).get("type", "")).removeprefix(PROBLEMS)
    except (ValueError, AttributeError):
        slug = ""
    if slug in STATE_OR_CROSS_FIELD:
        return None
    raise AssertionError(
        f"A request the document says is valid was rejected with {response.status_code} {slug or '(no problem type)'}"
    )
