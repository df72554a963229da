# DNS and the tunnel's public hostnames: Terraform is their one owner (docs/decisions/0001-terraform-owns-api-dns-and-tunnel-routes.md).
# The API host is proxied through Cloudflare so the worker routes can run in front of the
# backend; the auth host serves auth-service (the JWKS the worker verifies tokens with).
# v5 wants full names (FQDNs) to avoid a perpetual diff against the API.
#
# origin is a CNAME to <tunnel id>.cfargotunnel.com (k3s/README.md step 4, --ingress tunnel):
#   Terraform also writes the tunnel's ingress rules (its "public hostnames"), so nobody adds them
#   in the dashboard, where each would create the same DNS record a second time.
# origin is an A/AAAA to the VM (--ingress traefik): both hosts point at it, and no tunnel exists.

locals {
  tunnel_id = try(regex("^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.cfargotunnel\\.com$", var.origin.content)[0], null)
  namespace = "twist-${var.environment}"
  # Public host → in-cluster service of the twist chart (<release>-<component>.<namespace>:<port>).
  tunnel_routes = {
    (var.api_host)  = "http://twist-influencer-api.${local.namespace}:3003"
    (var.auth_host) = "http://twist-auth-service.${local.namespace}:3001"
  }
}

resource "cloudflare_dns_record" "api" {
  zone_id = var.zone_id
  name    = var.api_host
  type    = var.origin.type
  content = var.origin.content
  proxied = true
  ttl     = 1 # "automatic": required for proxied records
  comment = "TWIST ${var.environment} API (managed by terraform/)"
}

resource "cloudflare_dns_record" "auth" {
  zone_id = var.zone_id
  name    = var.auth_host
  type    = var.origin.type
  content = var.origin.content
  proxied = true
  ttl     = 1
  comment = "TWIST ${var.environment} auth-service (managed by terraform/)"
}

# The remotely-managed tunnel's configuration: cloudflared (the chart's twist-cloudflared pods,
# started with the tunnel token) fetches these rules from Cloudflare. Only the tunnel itself and
# its token are made in the dashboard.
resource "cloudflare_zero_trust_tunnel_cloudflared_config" "routes" {
  count      = local.tunnel_id == null ? 0 : 1
  account_id = var.account_id
  tunnel_id  = local.tunnel_id
  config = {
    ingress = concat(
      [for host in sort(keys(local.tunnel_routes)) : { hostname = host, service = local.tunnel_routes[host] }],
      # cloudflared requires a last rule without hostname; anything else gets a 404
      [{ service = "http_status:404" }],
    )
  }
}
