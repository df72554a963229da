// POST /api/v1/vau/batch — up to MAX_BATCH_SIZE VAUs, each validated exactly like a single submission.
// The envelope must be well-formed (else 400 for the whole request); after that every item gets
// its own result, so one bad VAU does not reject its neighbours.

import { authenticate } from "../auth/authenticate";
import type { Config } from "../config";
import { readBodyText, parseJson } from "../http/body";
import type { RequestContext } from "../http/context";
import { ApiError } from "../http/errors";
import { ok } from "../http/response";
import { count } from "../metrics/recorder";
import { type Admitted, admitBatch, admittedView, type CheckedVau, checkVau } from "../vau/admit";
import { parseVau } from "../vau/validate";
import { enforceIpLimit } from "./ip-limit";
import { rateLimitHeaders } from "../durable/sliding-window";

/**
 * Bounded by CPU: Workers Free allows 10 ms per invocation, and each VAU costs the Worker an
 * Ed25519 verification, a sha256 and its JSON. Measured in workerd by scripts/cpu.mjs (run by
 * the edge tests): a batch of 20 stays under half the limit, a batch of 100 did not fit at all
 * (docs/cost.md).
 */
export const MAX_BATCH_SIZE = 20;
const MAX_BODY_BYTES = 1024 * 1024;
export const ENVELOPE_FIELDS = new Set(["vaus", "batchId", "submittedAt"]);

type RejectedItem = { index: number; status: "rejected"; httpStatus: number; error: { code: string; message: string } };
type Outcome = { index: number; admitted: Admitted } | { index: number; rejected: RejectedItem };

function parseEnvelope(value: unknown): { vaus: unknown[]; clientBatchId?: string } {
  const bad = (message: string) => new ApiError(400, "INVALID_BODY", message);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("body must be a JSON object");
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!ENVELOPE_FIELDS.has(key)) throw bad(`body.${key} is not a known field`);
  if (!Array.isArray(record.vaus)) throw bad("body.vaus must be an array of VAUs");
  if (record.vaus.length === 0) throw bad("body.vaus must contain at least one VAU");
  if (record.vaus.length > MAX_BATCH_SIZE) {
    throw new ApiError(400, "BATCH_TOO_LARGE", `Batch size exceeds maximum of ${MAX_BATCH_SIZE}`);
  }
  if (record.batchId !== undefined && (typeof record.batchId !== "string" || record.batchId.length > 128)) {
    throw bad("body.batchId must be a string of at most 128 characters");
  }
  if (record.submittedAt !== undefined && typeof record.submittedAt !== "number") {
    throw bad("body.submittedAt must be a number");
  }
  return { vaus: record.vaus, ...(typeof record.batchId === "string" ? { clientBatchId: record.batchId } : {}) };
}

export async function handleBatch(request: Request, env: Env, config: Config, rc: RequestContext): Promise<Response> {
  const ipDecision = await enforceIpLimit(request, env, "batch", config.rateLimitBatchPerMin);
  const body = await readBodyText(request, MAX_BODY_BYTES);
  const caller = await authenticate(request, "/api/v1/vau/batch", body, env, config, rc);
  const envelope = parseEnvelope(parseJson(body));

  const now = Date.now();
  // Every item is checked on its own first (schema, owner, freshness, device signature); then
  // the checked ones go through the ledgers together (admitBatch: one call per device and one
  // for the wallet). One bad VAU does not reject its neighbours.
  const rejectedItem = (index: number, err: unknown): Outcome => {
    // An unexpected failure (e.g. a Durable Object call) fails this item only: the other
    // items are already recorded with their rewards, and must be reported as accepted.
    const apiError =
      err instanceof ApiError ? err : new ApiError(500, "INTERNAL_ERROR", "Internal error; retry this VAU");
    if (!(err instanceof ApiError)) console.error("batch item failed", String(err));
    count("edge_vau_rejected_total", { code: apiError.code });
    const error = { code: apiError.code, message: apiError.message };
    return { index, rejected: { index, status: "rejected", httpStatus: apiError.status, error } };
  };
  const checked = await Promise.all(
    envelope.vaus.map(async (item, index) => {
      try {
        const vau = parseVau(item, `vaus[${index}]`);
        return { index, vau, vauId: await checkVau(vau, caller.token.sub, now) };
      } catch (err) {
        return rejectedItem(index, err);
      }
    }),
  );
  const ready = checked.filter((c): c is CheckedVau => "vauId" in c);
  const ledger = await admitBatch(ready, caller.token.sub, env, config, caller.replay);
  const outcomes: Outcome[] = checked.map((c) => {
    if (!("vauId" in c)) return c;
    const result = ledger.get(c.index);
    return result === undefined || result instanceof ApiError
      ? rejectedItem(c.index, result)
      : { index: c.index, admitted: result };
  });
  const admitted = outcomes.flatMap((o) => ("admitted" in o ? [o.admitted] : []));

  const results = outcomes.map((o) =>
    "admitted" in o ? { index: o.index, status: "accepted" as const, ...admittedView(o.admitted) } : o.rejected,
  );
  for (const a of admitted) {
    count("edge_vau_accepted_total");
    count("edge_vau_reward_base_units_total", {}, Number(a.earned));
    if (a.capped) count("edge_vau_capped_total");
  }
  rc.accepted = admitted.length;
  rc.rejected = results.length - admitted.length;
  return ok(
    {
      batchId: crypto.randomUUID(),
      ...(envelope.clientBatchId !== undefined ? { clientBatchId: envelope.clientBatchId } : {}),
      accepted: rc.accepted,
      rejected: rc.rejected,
      results,
    },
    rc.requestId,
    rateLimitHeaders(ipDecision),
  );
}
