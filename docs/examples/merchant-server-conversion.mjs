#!/usr/bin/env node
// Merchant server: report an order so the influencer whose link brought the buyer earns a
// commission. Server to server only: the product secret must never reach a browser.
// Contract: docs/contracts/conversions.md.
//
//   TWIST_API_URL=https://api.twist.finance MERCHANT_KEY_ID=mk_… MERCHANT_SECRET=<64 hex> \
//   CLICK_ID=<the click query parameter your landing page received> \
//   node docs/examples/merchant-server-conversion.mjs
//
// `bin/test e2e` runs this file against the local stack (scripts/e2e-examples.sh).
import crypto from "node:crypto";

const API = process.env.TWIST_API_URL ?? "http://127.0.0.1:3003";
const keyId = process.env.MERCHANT_KEY_ID;
const secret = process.env.MERCHANT_SECRET;

const order = {
  orderId: process.env.ORDER_ID ?? `order-${crypto.randomUUID()}`,
  amount: "49.99", // a decimal string in the currency's major unit, never a JSON number
  currency: "USD",
  ...(process.env.CLICK_ID ? { clickId: process.env.CLICK_ID } : {}),
  ...(process.env.LINK_CODE ? { linkCode: process.env.LINK_CODE } : {}),
};

// Sign the exact bytes you send: HMAC-SHA256(secret, "POST\n/conversions\n<ms timestamp>\n<body>")
async function report(body) {
  const timestamp = String(Date.now());
  const signature = crypto
    .createHmac("sha256", secret)
    .update(`POST\n/conversions\n${timestamp}\n${body}`)
    .digest("hex");
  const response = await fetch(`${API}/conversions`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Twist-Key-Id": keyId,
      "X-Twist-Timestamp": timestamp,
      "X-Twist-Signature": signature,
    },
    body,
  });
  const data = await response.json();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`POST /conversions: ${response.status} ${data.type} ${data.detail}`);
  }
  return { status: response.status, data };
}

const body = JSON.stringify(order);
const first = await report(body);
console.log(`order ${order.orderId}: ${first.status} ${first.data.status}, commission ${first.data.commission} base units`);
// A retry (e.g. after a timeout) is safe: the same order id answers 200 with the first result.
// Each signature is accepted once, so a retry signs again with a fresh timestamp.
const retry = await report(body);
if (retry.status !== 200 || retry.data.id !== first.data.id) throw new Error("a retried order was recorded twice");
console.log(`retry: ${retry.status}, the same conversion ${retry.data.id}`);
