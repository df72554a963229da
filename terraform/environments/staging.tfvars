# Staging: non-secret settings only. Secrets arrive as TF_VAR_* from the GitHub
# Environment "staging"; account_id, zone_id and origin as its variables.
environment = "staging"
# Hosts are one level below the zone (api-staging.twist.finance, not api.staging.twist.finance): Cloudflare's
# free Universal SSL certificate covers only *.twist.finance. auth-service has its own host (the chart's
# ingress.authHost), which serves the JWKS the worker verifies tokens with.
api_host             = "api-staging.twist.finance"
auth_host            = "auth-staging.twist.finance"
audit_retention_days = 14

worker_vars = {
  JWKS_URL                  = "https://auth-staging.twist.finance/.well-known/jwks.json"
  JWT_ISSUER                = "twist-auth"
  JWT_AUDIENCE              = "twist-api"
  BACKEND_URL               = "https://api-staging.twist.finance"
  ALLOWED_ORIGINS           = "https://staging.twist.finance,https://app-staging.twist.finance,https://admin-staging.twist.finance"
  RATE_LIMIT_SINGLE_PER_MIN = "100"
  RATE_LIMIT_BATCH_PER_MIN  = "10"
  RATE_LIMIT_DEVICE_PER_MIN = "100"
  BASE_REWARD               = "10000000000"
  DAILY_CAP_DEVICE          = "200000000000"
  DAILY_CAP_WALLET          = "500000000000"
  AUDIT_BATCH_SIZE          = "50"
  AUDIT_FLUSH_MS            = "2000"
  METRICS_FLUSH_MS          = "2000"
}
