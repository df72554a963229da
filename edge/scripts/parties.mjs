// The parties the edge's measurement scripts (load.mjs, cpu.mjs) play themselves, with real crypto:
// an auth-service stand-in (ES256 key, its JWK, access tokens), wallets, Ed25519 devices, VAUs
// signed as docs/contracts describe, and the client HMAC of a request.
import crypto from "node:crypto";
import { base58, rawPublicKey } from "../../scripts/lib/client.mjs";

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** `--name value` pairs of the command line; `flags` are options that take no value. */
export function parseArgs(flags = []) {
  return Object.fromEntries(
    process.argv
      .slice(2)
      .reduce(
        (pairs, arg, i, all) =>
          arg.startsWith("--") && !flags.includes(arg) ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs,
        [],
      ),
  );
}

/** An auth-service stand-in: `jwk` for its JWKS, `token(wallet)` an hour-long access token. */
export function authService(kidPrefix) {
  const key = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${kidPrefix}-${crypto.randomBytes(4).toString("hex")}`;
  const jwk = { ...key.publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
  function token(wallet) {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }));
    const claims = b64url(
      JSON.stringify({
        iss: "twist-auth",
        aud: "twist-api",
        sub: wallet,
        wallet,
        roles: ["user"],
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: crypto.randomUUID(),
      }),
    );
    const sig = crypto.sign("sha256", Buffer.from(`${header}.${claims}`), {
      key: key.privateKey,
      dsaEncoding: "ieee-p1363",
    });
    return `${header}.${claims}.${b64url(sig)}`;
  }
  return { jwk, token };
}

/** A wallet address: base58 of 32 random bytes. */
export const randomWallet = () => base58(crypto.randomBytes(32));

/** A device: its Ed25519 key and id (the raw public key, hex). */
export function newDevice() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  return { id: rawPublicKey(publicKey).toString("hex"), privateKey };
}

/** `fields` (userId, deviceId, siteId, timestamp, payload) with the device's signature. */
export function signVau(fields, privateKey) {
  const message = [
    "twist-vau-v1",
    fields.userId,
    fields.deviceId,
    fields.siteId,
    String(fields.timestamp),
    fields.payload,
  ];
  return { ...fields, signature: crypto.sign(null, Buffer.from(message.join("\n")), privateKey).toString("hex") };
}

/** X-HMAC-Signature of a POST to `urlPath` at `timestamp` with `body`, under the client key. */
export const clientHmac = (clientKey, urlPath, timestamp, body) =>
  crypto.createHmac("sha256", clientKey).update(`POST\n${urlPath}\n${timestamp}\n${body}`).digest("hex");
