# The API host is proxied through Cloudflare so the worker routes can run in front of the
# backend. v5 wants the full name (an FQDN) to avoid a perpetual diff against the API.

resource "cloudflare_dns_record" "api" {
  zone_id = var.zone_id
  name    = var.api_host
  type    = var.origin.type
  content = var.origin.content
  proxied = true
  ttl     = 1 # "automatic": required for proxied records
  comment = "TWIST ${var.environment} API (managed by terraform/)"
}
