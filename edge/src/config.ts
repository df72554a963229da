// Typed view of the worker's vars and secrets. Vars arrive as strings (Terraform plain_text
// bindings are strings too); parsing them in one place means a bad value fails loudly at
// /health instead of silently becoming NaN in a rate limit.

export interface Config {
  environment: string;
  jwksUrl: string;
  jwtIssuer: string;
  jwtAudience: string;
  backendUrl: string;
  allowedOrigins: ReadonlySet<string>;
  rateLimitSinglePerMin: number;
  rateLimitBatchPerMin: number;
  rateLimitDevicePerMin: number;
  baseReward: bigint;
  dailyCapDevice: bigint;
  dailyCapWallet: bigint;
  auditBatchSize: number;
  auditFlushMs: number;
  metricsFlushMs: number;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

function baseUnits(name: string, raw: string | undefined, fallback: bigint): bigint {
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]{1,30}$/.test(raw)) throw new Error(`${name} must be an integer amount in base units`);
  return BigInt(raw);
}

function httpUrl(name: string, raw: string | undefined): string {
  let url: URL;
  try {
    url = new URL(raw ?? "");
  } catch {
    throw new Error(`${name} must be an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`${name} must be an http(s) URL`);
  return url.toString();
}

const cache = new WeakMap<object, Config>();

/** Parses once per env object (one per isolate in production). Throws on invalid values. */
export function getConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const config: Config = {
    environment: env.ENVIRONMENT || "production",
    jwksUrl: httpUrl("JWKS_URL", env.JWKS_URL),
    jwtIssuer: env.JWT_ISSUER || "twist-auth",
    jwtAudience: env.JWT_AUDIENCE || "twist-api",
    backendUrl: httpUrl("BACKEND_URL", env.BACKEND_URL).replace(/\/+$/, ""),
    allowedOrigins: new Set(
      (env.ALLOWED_ORIGINS || "")
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o.length > 0),
    ),
    rateLimitSinglePerMin: positiveInt("RATE_LIMIT_SINGLE_PER_MIN", env.RATE_LIMIT_SINGLE_PER_MIN, 100),
    rateLimitBatchPerMin: positiveInt("RATE_LIMIT_BATCH_PER_MIN", env.RATE_LIMIT_BATCH_PER_MIN, 10),
    rateLimitDevicePerMin: positiveInt("RATE_LIMIT_DEVICE_PER_MIN", env.RATE_LIMIT_DEVICE_PER_MIN, 100),
    baseReward: baseUnits("BASE_REWARD", env.BASE_REWARD, 10_000_000_000n),
    dailyCapDevice: baseUnits("DAILY_CAP_DEVICE", env.DAILY_CAP_DEVICE, 200_000_000_000n),
    dailyCapWallet: baseUnits("DAILY_CAP_WALLET", env.DAILY_CAP_WALLET, 500_000_000_000n),
    auditBatchSize: Math.max(1, positiveInt("AUDIT_BATCH_SIZE", env.AUDIT_BATCH_SIZE, 50)),
    auditFlushMs: positiveInt("AUDIT_FLUSH_MS", env.AUDIT_FLUSH_MS, 2000),
    metricsFlushMs: positiveInt("METRICS_FLUSH_MS", env.METRICS_FLUSH_MS, 2000),
  };
  cache.set(env, config);
  return config;
}
