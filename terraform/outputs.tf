# Outputs are derived only from configuration and resource attributes, never timestamp()
# or other per-run values, so a second plan with no change shows no output diff.

output "worker_name" {
  value = cloudflare_worker.edge.name
}

output "worker_version_id" {
  description = "The version this deploy shipped (visible in the dashboard and `wrangler deployments list`)."
  value       = cloudflare_worker_version.edge.id
}

output "release" {
  description = "Git commit of the deployed bundle; rollback.sh takes one of these."
  value       = var.release
}

output "bundle_sha256" {
  value = local.bundle_sha256
}

output "routes" {
  value = sort([for r in cloudflare_workers_route.edge : r.pattern])
}

output "reward_queue" {
  value = { name = cloudflare_queue.rewards.queue_name, dead_letter = cloudflare_queue.rewards_dlq.queue_name }
}

output "audit_bucket" {
  value = { name = cloudflare_r2_bucket.audit.name, retention_days = var.audit_retention_days }
}

output "api_host" {
  value = var.api_host
}

output "worker_version_message" {
  description = "The annotation recorded on the uploaded version: release and bundle hash."
  value       = cloudflare_worker_version.edge.annotations.workers_message
}
