// One error type for every client-visible failure, so each path ends in the same body: problem+json
// (type, title, status, detail, requestId) with the original {"success":false,"error":{"code",
// "message"}} members kept for existing clients (http/response.ts errorResponse).

export type ErrorCode =
  | "BAD_REQUEST"
  | "INVALID_JSON"
  | "INVALID_BODY"
  | "BATCH_TOO_LARGE"
  | "PAYLOAD_TOO_LARGE"
  | "TIMESTAMP_TOO_OLD"
  | "TIMESTAMP_IN_FUTURE"
  | "INVALID_DEVICE_SIGNATURE"
  | "MISSING_TOKEN"
  | "INVALID_TOKEN"
  | "TOKEN_EXPIRED"
  | "UNKNOWN_CLIENT"
  | "INVALID_HMAC"
  | "STALE_REQUEST"
  | "REPLAYED_REQUEST"
  | "UNAUTHORIZED"
  | "USER_MISMATCH"
  | "ORIGIN_NOT_ALLOWED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "DUPLICATE_VAU"
  | "RATE_LIMITED"
  | "INTERNAL_ERROR"
  | "JWKS_UNAVAILABLE"
  | "UNHEALTHY";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (code: ErrorCode, message: string) => new ApiError(400, code, message);
export const unauthorized = (code: ErrorCode, message: string) => new ApiError(401, code, message);
