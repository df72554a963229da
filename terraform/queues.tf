# Reward messages: the worker produces them (REWARD_QUEUE binding) and consumes them
# itself, posting each batch to influencer-api. Messages that fail max_retries times move
# to the dead-letter queue instead of being dropped, for inspection and replay.

locals {
  # Must equal the consumer in edge/wrangler.jsonc; tests/contract.tftest.hcl compares them.
  reward_consumer = {
    batch_size       = 100
    max_wait_time_ms = 5000
    max_retries      = 10
  }
}

resource "cloudflare_queue" "rewards" {
  account_id = var.account_id
  queue_name = "twist-vau-rewards-${var.environment}"
}

resource "cloudflare_queue" "rewards_dlq" {
  account_id = var.account_id
  queue_name = "twist-vau-rewards-dlq-${var.environment}"
}

resource "cloudflare_queue_consumer" "rewards" {
  account_id        = var.account_id
  queue_id          = cloudflare_queue.rewards.queue_id
  type              = "worker"
  script_name       = cloudflare_worker.edge.name
  dead_letter_queue = cloudflare_queue.rewards_dlq.queue_name
  settings          = local.reward_consumer

  # A consumer can only attach to a script that has a deployed version.
  depends_on = [cloudflare_workers_deployment.edge]
}
