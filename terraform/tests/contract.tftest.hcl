# The bindings Terraform declares must be exactly the ones the worker expects.
# The expectation is read from the worker's own files: scripts/worker-contract.py turns
# edge/wrangler.jsonc and edge/worker-configuration.d.ts (its generated Env type) into
# tests/.generated/worker-contract.json before the tests run (scripts/check.sh does this).
# A binding added to the worker but not here, or the other way round, fails this file.

mock_provider "cloudflare" {}

variables {
  account_id         = "0123456789abcdef0123456789abcdef"
  zone_id            = "fedcba9876543210fedcba9876543210"
  origin             = { type = "A", content = "192.0.2.10" }
  worker_bundle_path = "tests/fixtures/worker.js"
  client_keys        = "test-secret-client-keys"
  service_key        = "test-secret-service-key"
  metrics_token      = "test-secret-metrics-token"
}

run "bindings_match_the_worker_env_type" {
  command = plan

  assert {
    condition     = toset([for b in cloudflare_worker_version.edge.bindings : b.name]) == toset(jsondecode(file("tests/.generated/worker-contract.json")).env_bindings)
    error_message = "Terraform's binding names differ from the worker's Env type (edge/worker-configuration.d.ts)."
  }
  assert {
    condition     = length(cloudflare_worker_version.edge.bindings) == length(distinct([for b in cloudflare_worker_version.edge.bindings : b.name]))
    error_message = "A binding name is declared twice."
  }
}

run "binding_kinds_match_wrangler_config" {
  command = plan

  assert {
    condition = alltrue([for kind, names in jsondecode(file("tests/.generated/worker-contract.json")).bindings :
      toset([for b in cloudflare_worker_version.edge.bindings : b.name if b.type == kind]) == toset(names)
    ])
    error_message = "Some binding has a different kind (KV, R2, queue, plain text, secret) than in edge/wrangler.jsonc."
  }
  assert {
    condition     = { for b in cloudflare_worker_version.edge.bindings : b.name => b.class_name if b.type == "durable_object_namespace" } == jsondecode(file("tests/.generated/worker-contract.json")).durable_objects
    error_message = "Durable Object bindings or their classes differ from edge/wrangler.jsonc."
  }
}

run "migrations_create_the_worker_classes" {
  command = plan

  assert {
    # Terraform's current migration must be the worker's newest one.
    condition = (
      cloudflare_worker_version.edge.migrations.new_tag == jsondecode(file("tests/.generated/worker-contract.json")).migrations[length(jsondecode(file("tests/.generated/worker-contract.json")).migrations) - 1].tag
    )
    error_message = "The migration tag differs from the newest migration in edge/wrangler.jsonc."
  }
  assert {
    condition = toset(cloudflare_worker_version.edge.migrations.new_sqlite_classes) == toset(flatten([
      for m in jsondecode(file("tests/.generated/worker-contract.json")).migrations : lookup(m, "new_sqlite_classes", [])
    ]))
    error_message = "The SQLite Durable Object classes differ from edge/wrangler.jsonc migrations."
  }
}

run "queue_consumer_and_crons_match_wrangler_config" {
  command = plan

  assert {
    condition = length(jsondecode(file("tests/.generated/worker-contract.json")).queue_consumers) == 1 && alltrue([
      for c in jsondecode(file("tests/.generated/worker-contract.json")).queue_consumers :
      c.consumes_own_producer && c.has_dead_letter_queue
      && cloudflare_queue_consumer.rewards.settings.batch_size == c.batch_size
      && cloudflare_queue_consumer.rewards.settings.max_wait_time_ms == c.max_wait_time_ms
      && cloudflare_queue_consumer.rewards.settings.max_retries == c.max_retries
    ])
    error_message = "The reward queue consumer settings differ from edge/wrangler.jsonc."
  }
  assert {
    condition     = jsonencode(sort(var.cron_schedules)) == jsonencode(sort(jsondecode(file("tests/.generated/worker-contract.json")).crons)) && length(cloudflare_workers_cron_trigger.edge) == (length(var.cron_schedules) > 0 ? 1 : 0)
    error_message = "Cron triggers differ from edge/wrangler.jsonc triggers.crons."
  }
}

run "compatibility_matches_wrangler_config" {
  command = plan

  assert {
    condition     = cloudflare_worker_version.edge.compatibility_date == jsondecode(file("tests/.generated/worker-contract.json")).compatibility_date
    error_message = "compatibility_date differs from edge/wrangler.jsonc."
  }
  assert {
    condition     = jsonencode(sort(coalesce(cloudflare_worker_version.edge.compatibility_flags, []))) == jsonencode(sort(jsondecode(file("tests/.generated/worker-contract.json")).compatibility_flags))
    error_message = "compatibility_flags differ from edge/wrangler.jsonc."
  }
}
