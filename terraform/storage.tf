# R2 audit bucket: the worker writes request audit entries here (AUDIT_BUCKET binding).
# Audit logs are personal data with a purpose limit, so they expire: the lifecycle rule
# deletes every object audit_retention_days after upload.
#
# No KV namespaces: the worker's Env declares none. If it gains one, the contract test
# fails until it is declared here.

resource "cloudflare_r2_bucket" "audit" {
  account_id = var.account_id
  name       = "twist-edge-audit-${var.environment}"
  location   = var.r2_location
}

resource "cloudflare_r2_bucket_lifecycle" "audit" {
  account_id  = var.account_id
  bucket_name = cloudflare_r2_bucket.audit.name

  rules = [{
    id         = "expire-audit-after-${var.audit_retention_days}-days"
    enabled    = true
    conditions = { prefix = "" } # every object in the bucket

    # R2 expresses ages in seconds.
    delete_objects_transition = {
      condition = { type = "Age", max_age = var.audit_retention_days * 86400 }
    }
    # Half-finished multipart uploads are garbage; drop them after a day.
    abort_multipart_uploads_transition = {
      condition = { type = "Age", max_age = 86400 }
    }
  }]
}
