# The worker answers exactly four paths on the API host; everything else on api_host goes
# to the origin (dns.tf). Patterns are exact: no trailing "*", because "/api/v1/vau*" would
# also capture "/api/v1/vault" and anything else starting with those characters.

locals {
  worker_paths = ["/api/v1/vau", "/api/v1/vau/batch", "/health", "/metrics"]
}

resource "cloudflare_workers_route" "edge" {
  for_each = toset(local.worker_paths)

  zone_id = var.zone_id
  pattern = "${var.api_host}${each.value}"
  script  = cloudflare_worker.edge.name

  # A route to a script without a deployed version would serve errors.
  depends_on = [cloudflare_workers_deployment.edge]
}
