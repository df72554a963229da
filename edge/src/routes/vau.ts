// POST /api/v1/vau — one VAU.

import { authenticate } from "../auth/authenticate";
import type { Config } from "../config";
import { readBodyText, parseJson } from "../http/body";
import type { RequestContext } from "../http/context";
import { ApiError } from "../http/errors";
import { ok } from "../http/response";
import { count } from "../metrics/recorder";
import { admitVau, admittedView } from "../vau/admit";
import { parseVau } from "../vau/validate";
import { enforceIpLimit, tightestHeaders } from "./ip-limit";

const MAX_BODY_BYTES = 8 * 1024;

export async function handleVau(request: Request, env: Env, config: Config, rc: RequestContext): Promise<Response> {
  // The IP limit round trip overlaps with the (local) signature checks; if the limit says no,
  // its 429 wins over whatever authentication concluded.
  const limited = enforceIpLimit(request, env, "single", config.rateLimitSinglePerMin);
  const authenticated = readBodyText(request, MAX_BODY_BYTES).then(async (body) => ({
    body,
    caller: await authenticate(request, "/api/v1/vau", body, env, config, rc),
  }));
  const [ipOutcome, authOutcome] = await Promise.allSettled([limited, authenticated]);
  if (ipOutcome.status === "rejected") throw ipOutcome.reason;
  if (authOutcome.status === "rejected") throw authOutcome.reason;
  const ipDecision = ipOutcome.value;
  const { body, caller } = authOutcome.value;
  let admitted: Awaited<ReturnType<typeof admitVau>>;
  // Only failures of the VAU itself count as rejections; auth failures are in edge_http_errors_total.
  try {
    admitted = await admitVau(parseVau(parseJson(body)), caller.token.sub, env, config, Date.now(), caller.replay);
  } catch (err) {
    if (err instanceof ApiError) count("edge_vau_rejected_total", { code: err.code });
    throw err;
  }

  count("edge_vau_accepted_total");
  count("edge_vau_reward_base_units_total", {}, Number(admitted.earned));
  if (admitted.capped) count("edge_vau_capped_total");
  return ok(admittedView(admitted), rc.requestId, tightestHeaders(ipDecision, admitted.deviceDecision));
}
