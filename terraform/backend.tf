# State lives in a private R2 bucket (created once by bootstrap/), one key per environment.
# Bucket, key and endpoint come from environments/<env>.s3.tfbackend:
#   terraform init -backend-config=environments/staging.s3.tfbackend
# Credentials are the R2 token's S3 keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
terraform {
  backend "s3" {
    # R2 speaks the S3 API but is not AWS: no region, no STS, no account id, no checksums.
    region                      = "auto"
    use_path_style              = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_s3_checksum            = true

    # S3-native lock object (<key>.tflock) written with a conditional PUT. Deploy workflows
    # also serialize applies per environment until R2's conditional writes are proven for
    # this (README.md, "Locking").
    use_lockfile = true
  }
}
