// Service-to-service authentication for POST /internal/vau-rewards (docs/contracts/vau-rewards.md):
// X-Signature = hex(HMAC-SHA256(SERVICE_KEY, "POST\n/internal/vau-rewards\n" + X-Timestamp + "\n" + body)).

import { bytesToHex, utf8 } from "../util/encoding";

export const REWARDS_PATH = "/internal/vau-rewards";
export const SERVICE_ID = "edge";

export async function signServiceRequest(
  serviceKey: string,
  method: string,
  path: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(serviceKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${method}\n${path}\n${timestamp}\n${body}`));
  return bytesToHex(mac);
}
