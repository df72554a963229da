// Device signatures. Every field of the VAU is bound (not only `payload`), so a captured VAU
// cannot be replayed under another user, site or time.

import { ApiError } from "../http/errors";
import { hexToBytes, sha256Hex, utf8 } from "../util/encoding";
import type { Vau } from "./validate";

export const VAU_SIGNING_DOMAIN = "twist-vau-v1";

/** The exact bytes a device signs: fields joined by "\n", payload last (it may contain "\n"). */
export function vauSigningMessage(vau: Omit<Vau, "signature">): string {
  return [VAU_SIGNING_DOMAIN, vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
}

export async function verifyDeviceSignature(vau: Vau): Promise<void> {
  let valid = false;
  try {
    const key = await crypto.subtle.importKey("raw", hexToBytes(vau.deviceId), { name: "Ed25519" }, false, ["verify"]);
    valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      hexToBytes(vau.signature),
      utf8(vauSigningMessage(vau)),
    );
  } catch {
    // Not a valid curve point: the same client error as a wrong signature.
    valid = false;
  }
  if (!valid) throw new ApiError(400, "INVALID_DEVICE_SIGNATURE", "Invalid signature");
}

/**
 * Server-side VAU id: sha256 of the signed message. It is keyed on what the device attested,
 * not on the signature bytes, because a key holder can produce many valid signatures of one
 * message (Ed25519 nonces are the signer's choice); the same statement is rewarded once.
 */
export function vauIdOf(vau: Vau): Promise<string> {
  return sha256Hex(vauSigningMessage(vau));
}
