# What one environment's configuration creates. scripts/check.sh runs this file once per
# environment: `terraform test -var-file=environments/<env>.tfvars`, so every assertion
# holds for staging and for production with their real (non-secret) tfvars.
# The provider is mocked: nothing talks to Cloudflare, and apply only fills computed
# attributes with generated values.

mock_provider "cloudflare" {}

# What CI puts in the GitHub Environment (ids, origin) and in secrets. Fake values here;
# the secret values are distinctive so an assertion can look for them in plain text.
variables {
  account_id         = "0123456789abcdef0123456789abcdef"
  zone_id            = "fedcba9876543210fedcba9876543210"
  origin             = { type = "A", content = "192.0.2.10" }
  worker_bundle_path = "tests/fixtures/worker.js"
  release            = "0123456789abcdef0123456789abcdef01234567"
  client_keys        = "test-secret-client-keys"
  service_key        = "test-secret-service-key"
  metrics_token      = "test-secret-metrics-token"
}

run "routes_are_exactly_the_four_worker_paths" {
  command = apply

  assert {
    condition = toset([for r in cloudflare_workers_route.edge : r.pattern]) == toset([
      "${var.api_host}/api/v1/vau",
      "${var.api_host}/api/v1/vau/batch",
      "${var.api_host}/health",
      "${var.api_host}/metrics",
    ])
    error_message = "Routes must be exactly /api/v1/vau, /api/v1/vau/batch, /health and /metrics on api_host."
  }
  assert {
    condition     = alltrue([for r in cloudflare_workers_route.edge : !strcontains(r.pattern, "*")])
    error_message = "No wildcard route: /api/v1/vau* would also capture /api/v1/vault."
  }
  assert {
    condition     = alltrue([for r in cloudflare_workers_route.edge : r.script == "twist-edge-${var.environment}" && r.zone_id == var.zone_id])
    error_message = "Every route must point at this environment's worker in the API zone."
  }
  assert {
    condition     = var.api_host == (var.environment == "production" ? "api.twist.finance" : "api-staging.twist.finance")
    error_message = "The environment's tfvars must use its own API host."
  }
}

run "origin_record_is_proxied" {
  command = apply

  assert {
    condition     = cloudflare_dns_record.api.name == var.api_host && cloudflare_dns_record.api.proxied && cloudflare_dns_record.api.ttl == 1
    error_message = "The API host record must be the full hostname and proxied (routes only run on proxied hosts)."
  }
}

# One owner for the hosts' DNS records and the tunnel's public hostnames: Terraform
# (docs/decisions/0001-terraform-owns-api-dns-and-tunnel-routes.md). Cloudflare creates a DNS
# record for every public hostname added to a tunnel in the dashboard
# (https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/routing-to-tunnel/dns/),
# and refuses a second record for the same name ("An A, AAAA, or CNAME record with that host
# already exists", https://developers.cloudflare.com/cloudflare-one/troubleshooting/tunnel/), so
# the rules must be written here, next to the records, and never in the dashboard.
run "tunnel_origin_terraform_is_the_one_owner_of_routes_and_dns" {
  command = apply

  variables {
    origin = { type = "CNAME", content = "3f2a9c1e-5b7d-4f60-8192-a3b4c5d6e7f8.cfargotunnel.com" }
  }

  assert {
    condition     = length(cloudflare_zero_trust_tunnel_cloudflared_config.routes) == 1 && cloudflare_zero_trust_tunnel_cloudflared_config.routes[0].tunnel_id == "3f2a9c1e-5b7d-4f60-8192-a3b4c5d6e7f8"
    error_message = "A tunnel origin must make Terraform write that tunnel's ingress rules."
  }
  assert {
    condition = (
      toset([for r in cloudflare_zero_trust_tunnel_cloudflared_config.routes[0].config.ingress : r.hostname if r.hostname != null])
      == toset([cloudflare_dns_record.api.name, cloudflare_dns_record.auth.name])
    )
    error_message = "Every hostname the tunnel serves must have its DNS record made here, and no other: one owner."
  }
  assert {
    condition = alltrue([for r in [cloudflare_dns_record.api, cloudflare_dns_record.auth] :
    r.type == "CNAME" && r.content == "3f2a9c1e-5b7d-4f60-8192-a3b4c5d6e7f8.cfargotunnel.com" && r.proxied])
    error_message = "Both hosts must be proxied CNAMEs to the tunnel."
  }
  assert {
    condition = (
      [for r in cloudflare_zero_trust_tunnel_cloudflared_config.routes[0].config.ingress : r.service] == [
        "http://twist-influencer-api.twist-${var.environment}:3003",
        "http://twist-auth-service.twist-${var.environment}:3001",
        "http_status:404",
      ]
      && cloudflare_zero_trust_tunnel_cloudflared_config.routes[0].config.ingress[0].hostname == var.api_host
    )
    error_message = "api_host -> influencer-api, auth_host -> auth-service in the environment's namespace, then the catch-all 404 cloudflared requires."
  }
}

run "vm_origin_has_no_tunnel_and_both_hosts_on_the_vm" {
  command = apply

  assert {
    condition     = length(cloudflare_zero_trust_tunnel_cloudflared_config.routes) == 0
    error_message = "An A/AAAA origin (Traefik on the VM) has no tunnel to configure."
  }
  assert {
    condition     = cloudflare_dns_record.auth.name == var.auth_host && cloudflare_dns_record.auth.type == "A" && cloudflare_dns_record.auth.content == "192.0.2.10" && cloudflare_dns_record.auth.proxied
    error_message = "The auth host must point at the VM like the API host."
  }
}

run "a_cname_origin_must_be_a_tunnel" {
  command = plan

  variables {
    origin = { type = "CNAME", content = "vm.example.net" }
  }

  expect_failures = [var.origin]
}

run "reward_queue_has_consumer_and_dead_letter_queue" {
  command = apply

  assert {
    condition     = cloudflare_queue.rewards.queue_name == "twist-vau-rewards-${var.environment}"
    error_message = "Reward queue name must carry the environment."
  }
  assert {
    condition     = cloudflare_queue_consumer.rewards.queue_id == cloudflare_queue.rewards.queue_id && cloudflare_queue_consumer.rewards.script_name == cloudflare_worker.edge.name && cloudflare_queue_consumer.rewards.type == "worker"
    error_message = "The worker must consume the reward queue."
  }
  assert {
    condition     = cloudflare_queue_consumer.rewards.dead_letter_queue == cloudflare_queue.rewards_dlq.queue_name && cloudflare_queue.rewards_dlq.queue_name != cloudflare_queue.rewards.queue_name
    error_message = "Failed reward messages must go to a separate dead-letter queue."
  }
  assert {
    condition     = one([for b in cloudflare_worker_version.edge.bindings : b.queue_name if b.name == "REWARD_QUEUE"]) == cloudflare_queue.rewards.queue_name
    error_message = "The REWARD_QUEUE producer binding must point at the queue the consumer reads."
  }
}

run "audit_bucket_expires_objects" {
  command = apply

  assert {
    condition     = cloudflare_r2_bucket_lifecycle.audit.bucket_name == cloudflare_r2_bucket.audit.name
    error_message = "The lifecycle rule must apply to the audit bucket."
  }
  assert {
    condition = anytrue([for r in cloudflare_r2_bucket_lifecycle.audit.rules :
      r.enabled && r.conditions.prefix == "" && r.delete_objects_transition.condition.type == "Age"
      && r.delete_objects_transition.condition.max_age == var.audit_retention_days * 86400
    ])
    error_message = "An enabled rule must delete every audit object after audit_retention_days."
  }
  assert {
    condition     = one([for b in cloudflare_worker_version.edge.bindings : b.bucket_name if b.name == "AUDIT_BUCKET"]) == cloudflare_r2_bucket.audit.name
    error_message = "AUDIT_BUCKET must bind the bucket that has the lifecycle rule."
  }
}

run "secrets_only_in_secret_bindings" {
  command = apply

  assert {
    condition     = toset([for b in cloudflare_worker_version.edge.bindings : b.name if b.type == "secret_text"]) == toset(["CLIENT_KEYS", "SERVICE_KEY", "METRICS_TOKEN"])
    error_message = "CLIENT_KEYS, SERVICE_KEY and METRICS_TOKEN must be secret_text bindings."
  }
  assert {
    # No plain-text binding may carry a secret's name or value.
    condition = nonsensitive(alltrue([for b in cloudflare_worker_version.edge.bindings :
      !contains(["CLIENT_KEYS", "SERVICE_KEY", "METRICS_TOKEN"], b.name)
      && !contains([var.client_keys, var.service_key, var.metrics_token], b.text)
      if b.type == "plain_text"
    ]))
    error_message = "A secret appears in a plain-text binding."
  }
  assert {
    condition = nonsensitive(
      one([for b in cloudflare_worker_version.edge.bindings : b.text if b.name == "CLIENT_KEYS"]) == var.client_keys
      && one([for b in cloudflare_worker_version.edge.bindings : b.text if b.name == "SERVICE_KEY"]) == var.service_key
      && one([for b in cloudflare_worker_version.edge.bindings : b.text if b.name == "METRICS_TOKEN"]) == var.metrics_token
    )
    error_message = "Secret bindings must take their values from the sensitive variables."
  }
  assert {
    # Secrets never live in tfvars files: they arrive as TF_VAR_* from CI secrets.
    condition     = !can(regex("(?m)^\\s*(client_keys|service_key|metrics_token|cloudflare_api_token)\\s*=", file("environments/${var.environment}.tfvars")))
    error_message = "A tfvars file sets a secret variable."
  }
}

run "bundle_hash_is_recorded" {
  command = apply

  assert {
    condition     = output.bundle_sha256 == filesha256("tests/fixtures/worker.js")
    error_message = "The deployed bundle's hash must be an output."
  }
  assert {
    condition     = strcontains(cloudflare_worker_version.edge.annotations.workers_message, "bundle_sha256=${filesha256("tests/fixtures/worker.js")}") && strcontains(cloudflare_workers_deployment.edge.annotations.workers_message, "release=${var.release}")
    error_message = "The version and the deployment must record the release and bundle hash."
  }
  assert {
    condition     = length(cloudflare_workers_deployment.edge.versions) == 1 && cloudflare_workers_deployment.edge.versions[0].version_id == cloudflare_worker_version.edge.id && cloudflare_workers_deployment.edge.versions[0].percentage == 100
    error_message = "The deployment must send 100% of traffic to the version this apply uploaded."
  }
}

# Same configuration, a different bundle: the version must change (a content change is a
# plan change even though the bundle path is the same kind of path).
run "bundle_change_is_a_plan_change" {
  command = plan

  variables {
    worker_bundle_path = "tests/fixtures/worker-changed.js"
  }

  assert {
    condition     = output.bundle_sha256 != run.bundle_hash_is_recorded.bundle_sha256
    error_message = "A different bundle must give a different recorded hash."
  }
  assert {
    condition     = cloudflare_worker_version.edge.annotations.workers_message != run.bundle_hash_is_recorded.worker_version_message
    error_message = "A different bundle must change the worker version."
  }
}

run "outputs_are_stable" {
  command = plan

  # Plans twice with identical inputs; outputs known at plan time must be identical and
  # none may come from timestamp() or uuid().
  assert {
    condition     = output.routes == run.routes_are_exactly_the_four_worker_paths.routes && output.release == run.bundle_hash_is_recorded.release && output.audit_bucket == run.audit_bucket_expires_objects.audit_bucket
    error_message = "Outputs must not change between two plans of the same inputs."
  }
}
