# ---- Where ------------------------------------------------------------------

variable "environment" {
  description = "Deployment environment; part of every resource name so both can share one account."
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

# account_id, zone_id and origin are not secret, but they belong to the GitHub Environment
# (TF_VAR_account_id, TF_VAR_zone_id, TF_VAR_origin as environment variables), not to git.

variable "account_id" {
  description = "Cloudflare account id."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.account_id))
    error_message = "account_id must be a 32-character hex Cloudflare id."
  }
}

variable "zone_id" {
  description = "Id of the zone that holds api_host. An id rather than a lookup by name, so plans need no API read."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.zone_id))
    error_message = "zone_id must be a 32-character hex Cloudflare id."
  }
}

variable "api_host" {
  description = "Public API hostname: the worker routes and the proxied origin record live on it."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)+$", var.api_host))
    error_message = "api_host must be a bare hostname such as api.twist.finance (no scheme, path or wildcard)."
  }
}

variable "auth_host" {
  description = "Public auth-service hostname (the chart's ingress.authHost; the host of worker_vars.JWKS_URL). Terraform owns its DNS record like api_host's."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)+$", var.auth_host))
    error_message = "auth_host must be a bare hostname such as auth.twist.finance (no scheme, path or wildcard)."
  }
}

variable "origin" {
  description = "Where both hosts' proxied DNS records point: a CNAME to the environment's Cloudflare Tunnel (<tunnel id>.cfargotunnel.com; Terraform then also owns the tunnel's public hostnames), or an A/AAAA to the VM (Traefik ingress)."
  type = object({
    type    = string
    content = string
  })
  validation {
    condition     = contains(["A", "AAAA", "CNAME"], var.origin.type)
    error_message = "origin.type must be A, AAAA or CNAME."
  }
  validation {
    condition     = var.origin.type != "CNAME" || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.cfargotunnel\\.com$", var.origin.content))
    error_message = "A CNAME origin must be <tunnel id>.cfargotunnel.com (the tunnel's UUID, Zero Trust -> Networks -> Tunnels)."
  }
}

# ---- What the worker runs -----------------------------------------------------

variable "worker_bundle_path" {
  description = "The worker bundle built by `npm run build` in edge/ (wrangler --dry-run --outdir dist). Tests point this at tests/fixtures/worker.js so they need no Node build."
  type        = string
  default     = "../edge/dist/index.js"
}

variable "release" {
  description = "Git commit the bundle was built from; recorded on the worker version and the deployment (rollback finds it there)."
  type        = string
  default     = "unreleased"
}

variable "worker_vars" {
  description = "Plain-text worker variables for this environment (edge/wrangler.jsonc \"vars\", minus ENVIRONMENT which comes from var.environment). Never secrets."
  type        = map(string)
}

variable "cron_schedules" {
  description = "Cron triggers the worker handles (edge/wrangler.jsonc triggers.crons). The worker has none today; the test keeps the two lists equal."
  type        = list(string)
  default     = []
}

# ---- Storage and queues -----------------------------------------------------

variable "audit_retention_days" {
  description = "Days an audit object stays in the R2 audit bucket before the lifecycle rule deletes it."
  type        = number
  validation {
    condition     = var.audit_retention_days >= 1 && var.audit_retention_days == floor(var.audit_retention_days)
    error_message = "audit_retention_days must be a whole number of days, at least 1."
  }
}

variable "r2_location" {
  description = "R2 location hint for the audit bucket."
  type        = string
  default     = "enam"
}

# ---- Secrets: sensitive variables only, from TF_VAR_* in CI; never in tfvars -------

variable "cloudflare_api_token" {
  description = "API token for Terraform. Null means the provider reads CLOUDFLARE_API_TOKEN."
  type        = string
  sensitive   = true
  default     = null
}

variable "client_keys" {
  description = "Worker secret CLIENT_KEYS: JSON map clientId -> list of HMAC keys."
  type        = string
  sensitive   = true
}

variable "service_key" {
  description = "Worker secret SERVICE_KEY: signs POST /internal/vau-rewards to influencer-api."
  type        = string
  sensitive   = true
}

variable "metrics_token" {
  description = "Worker secret METRICS_TOKEN: bearer token for GET /metrics."
  type        = string
  sensitive   = true
}
