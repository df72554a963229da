// Enqueue rewards before answering: an accepted VAU whose reward was silently dropped is the
// failure this edge exists to fix. If the queue refuses, the ledger writes are undone and the
// client gets a 503 it can retry.

import { ApiError } from "../http/errors";
import type { Admitted } from "../vau/admit";

export async function enqueueRewards(env: Env, admitted: Admitted[]): Promise<void> {
  const rewards = admitted.flatMap((a) => (a.reward ? [a.reward] : []));
  if (rewards.length === 0) return;
  try {
    if (rewards.length === 1) await env.REWARD_QUEUE.send(rewards[0], { contentType: "json" });
    else await env.REWARD_QUEUE.sendBatch(rewards.map((body) => ({ body, contentType: "json" as const })));
  } catch (err) {
    console.error("reward enqueue failed", String(err));
    await Promise.allSettled(admitted.map((a) => a.rollback()));
    throw new ApiError(503, "QUEUE_UNAVAILABLE", "Reward queue is unavailable; retry the request");
  }
}
