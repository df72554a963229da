# The edge worker, owned by Terraform end to end (no `wrangler deploy` in any environment):
#   cloudflare_worker            the named script and its settings
#   cloudflare_worker_version    one immutable upload of the bundle + bindings + migrations
#   cloudflare_workers_deployment  which version serves 100% of traffic
# A new bundle (or any binding change) is a new version; the deployment then points at it.
# Versions stay on Cloudflare after Terraform replaces them, and each one carries the git
# commit and bundle hash it was built from (annotations), which is what rollback relies on.

locals {
  worker_name = "twist-edge-${var.environment}"

  # Must equal edge/wrangler.jsonc; tests/contract.tftest.hcl compares them.
  compatibility_date  = "2026-04-20"
  compatibility_flags = []

  # The bundle's content hash makes a content change a plan change even when the path
  # stays the same (the annotation below changes, which replaces the version).
  bundle_sha256 = filesha256(var.worker_bundle_path)

  # Durable Object binding name => class exported by the bundle (same script).
  durable_objects = {
    RATE_LIMITER  = "RateLimiter"
    REPLAY_GUARD  = "ReplayGuard"
    DEVICE_LEDGER = "DeviceLedger"
    WALLET_LEDGER = "WalletLedger"
    METRICS_STORE = "MetricsStore"
  }

  plain_vars = merge(var.worker_vars, { ENVIRONMENT = var.environment })

  # Secret bindings: values only from sensitive variables.
  secret_vars = {
    CLIENT_KEYS   = var.client_keys
    SERVICE_KEY   = var.service_key
    METRICS_TOKEN = var.metrics_token
  }

  # One list, as the v5 schema wants. Every binding the worker's Env type declares must be
  # here and nothing else (tests/contract.tftest.hcl).
  bindings = concat(
    [{ type = "r2_bucket", name = "AUDIT_BUCKET", bucket_name = cloudflare_r2_bucket.audit.name }],
    [{ type = "queue", name = "REWARD_QUEUE", queue_name = cloudflare_queue.rewards.queue_name }],
    [for name, class in local.durable_objects : { type = "durable_object_namespace", name = name, class_name = class }],
    [for name in sort(keys(local.plain_vars)) : { type = "plain_text", name = name, text = local.plain_vars[name] }],
    [for name in sort(keys(local.secret_vars)) : { type = "secret_text", name = name, text = local.secret_vars[name] }],
  )
}

resource "cloudflare_worker" "edge" {
  account_id = var.account_id
  name       = local.worker_name

  observability = {
    enabled = true
  }

  # Traffic arrives only through the routes on api_host (routes.tf), not *.workers.dev.
  subdomain = {
    enabled          = false
    previews_enabled = false
  }

  tags = ["twist", "edge", var.environment]
}

resource "cloudflare_worker_version" "edge" {
  account_id = var.account_id
  worker_id  = cloudflare_worker.edge.id

  compatibility_date  = local.compatibility_date
  compatibility_flags = local.compatibility_flags
  main_module         = "index.js"

  modules = [{
    name         = "index.js"
    content_type = "application/javascript+module"
    content_file = abspath(var.worker_bundle_path)
  }]

  bindings = local.bindings

  # Durable Object classes are created by migrations, in tag order. v1 creates all five as
  # SQLite-backed classes (wrangler.jsonc "migrations"). A later migration is added as
  # old_tag = "v1", new_tag = "v2", ... in the same commit that changes the classes.
  migrations = {
    new_tag            = "v1"
    new_sqlite_classes = values(local.durable_objects)
  }

  annotations = {
    workers_tag     = substr(var.release, 0, 40)
    workers_message = "release=${var.release} bundle_sha256=${local.bundle_sha256}"
  }
}

resource "cloudflare_workers_deployment" "edge" {
  account_id  = var.account_id
  script_name = cloudflare_worker.edge.name
  strategy    = "percentage"

  versions = [{
    version_id = cloudflare_worker_version.edge.id
    percentage = 100
  }]

  annotations = {
    workers_message = "release=${var.release} bundle_sha256=${local.bundle_sha256}"
  }
}

# Cron triggers the worker handles. None today; the resource exists only when the worker
# declares crons, so Terraform never creates an empty trigger set.
resource "cloudflare_workers_cron_trigger" "edge" {
  count = length(var.cron_schedules) > 0 ? 1 : 0

  account_id  = var.account_id
  script_name = cloudflare_worker.edge.name
  schedules   = [for cron in var.cron_schedules : { cron = cron }]

  depends_on = [cloudflare_workers_deployment.edge]
}
