#!/usr/bin/env node
// Client app (extension, mobile, SDK): a device key signs a Verified Attention Unit and the app
// submits it to the edge for the signed-in wallet. Protocol: docs/edge-protocol.md.
//
//   TWIST_EDGE_URL=https://api.twist.finance ACCESS_TOKEN=<the wallet's access token> WALLET=<its address> \
//   CLIENT_ID=<your client id> CLIENT_KEY=<its HMAC key> node docs/examples/client-app-signed-vau.mjs
//
// The client key identifies the app build; it ships inside clients, so treat it as public: the
// device signature and the wallet's token are what tie a VAU to someone.
// `bin/test e2e` runs this file against the local stack (scripts/e2e-examples.sh).
import crypto from "node:crypto";

const EDGE = process.env.TWIST_EDGE_URL ?? "http://127.0.0.1:8787";
const { ACCESS_TOKEN, WALLET, CLIENT_ID, CLIENT_KEY } = process.env;

// The device key is created once per install and kept (here: a fresh one per run).
const device = crypto.generateKeyPairSync("ed25519");
const deviceId = device.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");

const vau = {
  userId: WALLET, // must be the access token's wallet
  deviceId, // lowercase hex of the 32-byte Ed25519 public key
  siteId: "example.com", // 1-128 of [A-Za-z0-9._:/-]
  timestamp: Date.now(), // ms; at most 30 s old, 5 s ahead of the edge's clock
  payload: JSON.stringify({ action: "page_view", duration: 30000 }), // at most 4 KiB
};
// The device signs the fields joined by "\n" after the domain tag "twist-vau-v1".
const signed = ["twist-vau-v1", vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
vau.signature = crypto.sign(null, Buffer.from(signed), device.privateKey).toString("hex");

// The app signs the request: HMAC-SHA256(client key, "POST\n/api/v1/vau\n<ms timestamp>\n<body>").
const body = JSON.stringify(vau);
const timestamp = String(Date.now());
const hmac = crypto.createHmac("sha256", CLIENT_KEY).update(`POST\n/api/v1/vau\n${timestamp}\n${body}`).digest("hex");
const response = await fetch(`${EDGE}/api/v1/vau`, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    Authorization: `Bearer ${ACCESS_TOKEN}`,
    "X-Client-Id": CLIENT_ID,
    "X-Timestamp": timestamp,
    "X-HMAC-Signature": hmac,
  },
  body,
});
const answer = await response.json();
if (response.status !== 200 || !answer.success) {
  throw new Error(`POST /api/v1/vau: ${response.status} ${answer.error?.code} ${answer.error?.message}`);
}
console.log(`VAU ${answer.data.vauId.slice(0, 12)}… accepted: earned ${answer.data.earned} base units (device trust ${answer.data.trustScore})`);
