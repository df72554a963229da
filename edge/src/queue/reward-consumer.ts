// Queue consumer: delivers reward messages to influencer-api POST /internal/vau-rewards in
// batches of ≤ 100, signed as the "edge" service. The backend is idempotent by vauId, so
// redelivery after a lost response is safe.
//   2xx            → ack
//   5xx / network  → retry with exponential backoff
//   4xx            → retry slowly; after max_retries the queue moves it to the dead-letter queue
// A 400 on a multi-message batch is retried message by message, so one malformed reward
// cannot hold the other 99 hostage. A delivered batch is written to the audit log (R2) before
// its messages are acked; if that write fails the messages are retried like a 5xx, so every
// acked reward has a record from which scripts/replay-vau-rewards.mjs can re-post it after a
// database restore.

import { writeRewardDelivery } from "../audit/audit-log";
import { getConfig } from "../config";
import { count } from "../metrics/recorder";
import { isRewardMessage, type RewardMessage } from "./reward-message";
import { REWARDS_PATH, SERVICE_ID, signServiceRequest } from "./service-signature";

export const MAX_REWARDS_PER_REQUEST = 100;
const MAX_DELAY_S = 300;
const REQUEST_TIMEOUT_MS = 10_000;

/** 5 s, 10 s, 20 s, … capped at 5 minutes. */
export function backoffSeconds(attempts: number): number {
  return Math.min(MAX_DELAY_S, 5 * 2 ** Math.max(0, attempts - 1));
}

export type Outcome = "delivered" | "server_error" | "network_error" | "client_error";

/**
 * One signed POST of ≤ 100 rewards; "delivered" only once influencer-api answered 2xx AND the
 * delivery is recorded in the audit log. Also used by the wallet outboxes (direct delivery).
 */
export async function postRewards(
  env: Env,
  backendUrl: string,
  rewards: RewardMessage[],
): Promise<{ outcome: Outcome; status?: number }> {
  const body = JSON.stringify({ rewards });
  const timestamp = String(Date.now());
  const signature = await signServiceRequest(env.SERVICE_KEY, "POST", REWARDS_PATH, timestamp, body);
  // One id per delivery attempt: influencer-api logs it as its request id, so a failed delivery
  // can be found on both sides.
  const requestId = crypto.randomUUID();
  let response: Response;
  try {
    response = await fetch(`${backendUrl}${REWARDS_PATH}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Request-ID": requestId,
        "X-Service-Id": SERVICE_ID,
        "X-Timestamp": timestamp,
        "X-Signature": signature,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    console.error("reward delivery failed", requestId, String(err));
    return { outcome: "network_error" };
  }
  if (response.ok) {
    const result = (await response.json().catch(() => ({}))) as { credited?: unknown; duplicates?: unknown };
    if (typeof result.credited === "number") count("edge_rewards_credited_total", {}, result.credited);
    if (typeof result.duplicates === "number") count("edge_rewards_duplicate_total", {}, result.duplicates);
    try {
      await writeRewardDelivery(env, {
        kind: "reward_delivery",
        time: new Date().toISOString(),
        requestId,
        credited: typeof result.credited === "number" ? result.credited : 0,
        duplicates: typeof result.duplicates === "number" ? result.duplicates : 0,
        rewards,
      });
    } catch (err) {
      // Credited but not recorded: retry, so the redelivery (credited nothing twice) is recorded.
      console.error("reward delivery audit write failed; retrying the batch", requestId, String(err));
      return { outcome: "server_error", status: response.status };
    }
    return { outcome: "delivered", status: response.status };
  }
  // Drain the body so the connection can be reused.
  await response.text().catch(() => "");
  console.error("reward delivery rejected", response.status);
  return { outcome: response.status >= 500 ? "server_error" : "client_error", status: response.status };
}

function settle(messages: Message<unknown>[], outcome: Outcome): void {
  count("edge_reward_deliveries_total", { outcome });
  for (const message of messages) {
    if (outcome === "delivered") message.ack();
    else if (outcome === "client_error") message.retry({ delaySeconds: MAX_DELAY_S });
    else message.retry({ delaySeconds: backoffSeconds(message.attempts) });
  }
}

export async function consumeRewards(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  let backendUrl: string;
  try {
    backendUrl = getConfig(env).backendUrl;
    if (!env.SERVICE_KEY) throw new Error("SERVICE_KEY is not set");
  } catch (err) {
    // Misconfiguration: keep the rewards (slow retries) rather than drop them.
    console.error("reward delivery misconfigured; rewards not delivered:", String(err));
    settle([...batch.messages], "client_error");
    return;
  }
  const valid: Message<RewardMessage>[] = [];
  for (const message of batch.messages) {
    if (isRewardMessage(message.body)) valid.push(message as Message<RewardMessage>);
    else settle([message], "client_error"); // Ends in the dead-letter queue after max_retries.
  }
  for (let i = 0; i < valid.length; i += MAX_REWARDS_PER_REQUEST) {
    const chunk = valid.slice(i, i + MAX_REWARDS_PER_REQUEST);
    const { outcome, status } = await postRewards(
      env,
      backendUrl,
      chunk.map((m) => m.body),
    );
    if (outcome === "client_error" && status === 400 && chunk.length > 1) {
      for (const message of chunk) settle([message], (await postRewards(env, backendUrl, [message.body])).outcome);
    } else {
      settle(chunk, outcome);
    }
  }
}
