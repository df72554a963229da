terraform {
  # 1.8 is the newest Terraform the Go module proxy builds here (scripts/install-tools.sh);
  # it has `terraform test` with mock_provider. Deploys need >= 1.11 for the S3 backend's
  # use_lockfile (backend.tf): scripts/deploy.sh checks that before touching state.
  required_version = ">= 1.8.5"

  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
      # v5 resource names (cloudflare_dns_record, cloudflare_worker_version, ...).
      # The exact release is fixed by .terraform.lock.hcl, produced where the registry
      # is reachable (README.md, "Lock file").
      version = "~> 5.22"
    }
  }
}

# The token comes from the environment (CLOUDFLARE_API_TOKEN) or TF_VAR_cloudflare_api_token,
# never from a tfvars file.
provider "cloudflare" {
  api_token = var.cloudflare_api_token
}
