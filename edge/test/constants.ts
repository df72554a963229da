// Values shared by vitest.config.ts (which injects them as bindings) and the tests.
// Test-only keys: they exist nowhere else.

export const TEST_CLIENT_ID = "test-extension";
export const TEST_CLIENT_KEY = "test-client-key-0123456789abcdef-0123456789";
export const TEST_CLIENT_KEY_NEXT = "test-client-key-rotated-abcdef0123456789-xyz";
export const OTHER_CLIENT_ID = "other-app";
export const OTHER_CLIENT_KEY = "other-app-key-0123456789abcdef0123456789abc";
export const TEST_SERVICE_KEY = "test-service-key-0123456789abcdef0123456789";
export const TEST_METRICS_TOKEN = "test-metrics-token-0123456789";
export const TEST_JWKS_URL = "https://auth.test/.well-known/jwks.json";
export const TEST_BACKEND_URL = "https://backend.test";
export const TEST_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
