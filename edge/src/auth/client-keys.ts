// Per-client HMAC keys from the CLIENT_KEYS secret: {"<clientId>": ["<key>", ...]}.
// Several keys per client allow rotation: add the new key, roll clients over, remove the old.
// There is deliberately no global fallback key and no development bypass.

const CLIENT_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_KEY_LENGTH = 32;

export type ClientKeys = ReadonlyMap<string, readonly CryptoKey[]>;

let cachedRaw: string | undefined;
let cachedKeys: Promise<ClientKeys> | undefined;

export function isValidClientId(clientId: string): boolean {
  return CLIENT_ID_RE.test(clientId);
}

async function parse(raw: string): Promise<ClientKeys> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error("CLIENT_KEYS is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error("CLIENT_KEYS must be a JSON object of clientId -> [keys]");
  }
  const map = new Map<string, CryptoKey[]>();
  for (const [clientId, value] of Object.entries(json)) {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    if (!isValidClientId(clientId)) throw new Error(`CLIENT_KEYS has an invalid client id`);
    if (list.length === 0) throw new Error(`CLIENT_KEYS has no key for client ${clientId}`);
    const keys: CryptoKey[] = [];
    for (const key of list) {
      if (typeof key !== "string" || key.length < MIN_KEY_LENGTH) {
        throw new Error(`CLIENT_KEYS keys for ${clientId} must be strings of at least ${MIN_KEY_LENGTH} characters`);
      }
      keys.push(
        await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, [
          "verify",
        ]),
      );
    }
    map.set(clientId, keys);
  }
  return map;
}

/** Imported keys, cached per isolate until the secret's value changes. */
export function loadClientKeys(raw: string | undefined): Promise<ClientKeys> {
  const value = raw ?? "";
  if (cachedKeys === undefined || cachedRaw !== value) {
    cachedRaw = value;
    cachedKeys = value === "" ? Promise.resolve(new Map()) : parse(value);
    // A bad secret must not stay cached as a rejected promise forever once it is fixed.
    cachedKeys.catch(() => {
      if (cachedRaw === value) cachedKeys = undefined;
    });
  }
  return cachedKeys;
}
