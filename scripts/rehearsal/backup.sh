#!/usr/bin/env bash
# Step 5 of the rehearsal (sourced by scripts/rehearsal/run.sh): the twist-data backup CronJob
# writes a dump and its checksum to a real S3 server on this host (rclone serve s3: the same
# rclone the chart runs, built from the Go module proxy), then charts/twist-data/scripts/restore.sh
# restores it into an emptied database; the row counts and ledger sums must match.
# What differs from production: the endpoint (the node address, with a CA of its own, not R2).
# shellcheck shell=bash disable=SC2154 # work, cache, ns, ... are run.sh's

# db_fingerprint: exact row count of every table of the app schema, and the ledger sums by kind
db_fingerprint() {
  admin_kubectl -n "$ns" exec twist-data-postgresql-0 -- psql -U twist -d twist -At -c "
    SELECT table_name || '=' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
      FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    UNION ALL SELECT 'ledger:' || kind || '=' || SUM(balance) FROM ledger_accounts GROUP BY kind
    UNION ALL SELECT 'entries=' || COALESCE(SUM(amount), 0) || '/' || count(*) FROM ledger_entries
    ORDER BY 1"
}

backup_restore() {
  local node_ip port=19000 s3="$work/s3" key_id secret before after t bucket
  # the bucket staging backs up to (charts/twist-data/values-staging.yaml), made on the S3 server
  bucket="$(sed -n 's/^ *bucket: *//p' charts/twist-data/values-staging.yaml | head -n1)"
  [[ -n "$bucket" ]] || die "no backup.s3.bucket in charts/twist-data/values-staging.yaml"
  node_ip="$(ip -4 route get 1.1.1.1 | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')"
  key_id="$(grep '^BACKUP_S3_ACCESS_KEY_ID=' "$secrets_file" | cut -d= -f2-)"
  secret="$(grep '^BACKUP_S3_SECRET_ACCESS_KEY=' "$secrets_file" | cut -d= -f2-)"
  mkdir -p "$s3/$bucket" "$work/s3-tls"
  # https as R2 (the chart refuses other endpoints): a certificate for the node address from the
  # CA the backup image trusts (scripts/rehearsal/images.sh)
  local ca="$cache/rehearsal-s3"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$work/s3-tls/tls.key" -subj "/CN=$node_ip" \
    -out "$work/s3-tls/tls.csr" 2>/dev/null
  openssl x509 -req -in "$work/s3-tls/tls.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 2 \
    -extfile <(echo "subjectAltName=IP:$node_ip") -out "$work/s3-tls/tls.crt" 2>/dev/null
  # the keys reach rclone through its environment, never its command line (a list flag's
  # environment value is CSV: the pair is quoted to stay one entry)
  RCLONE_AUTH_KEY="\"$key_id,$secret\"" setsid "$cache/rclone/$RCLONE_VERSION/rclone" serve s3 \
    --addr "$node_ip:$port" --cert "$work/s3-tls/tls.crt" --key "$work/s3-tls/tls.key" "$s3" \
    >"$work/rclone.log" 2>&1 </dev/null &
  echo $! >"$work/rclone.pid"
  for _ in $(seq 1 30); do curl -s -o /dev/null --cacert "$ca/ca.crt" "https://$node_ip:$port/" && break; sleep 0.5; done

  # the endpoint R2 has in production (helm-deploy.sh sets it from CLOUDFLARE_ACCOUNT_ID)
  helm upgrade twist-data charts/twist-data -n "$ns" --reuse-values \
    --set-string "backup.s3.endpoint=https://$node_ip:$port" --wait --timeout 5m >/dev/null

  before="$(db_fingerprint)"
  [[ -n "$before" ]] || die "no database fingerprint"
  t=$(date +%s)
  # the README's "run one now" command (k3s/README.md, Backups)
  backup_job="backup-manual-$(date +%s)"
  kubectl -n "$ns" create job --from=cronjob/twist-data-backup "$backup_job" >/dev/null
  # The dump and its checksum are in the bucket once the upload is done; the Job then serves its
  # outcome to Prometheus for backup.metricsHoldSeconds (75 s) before it completes. The restore
  # needs only the upload, so it runs during that hold; step 7 waits for the Job's completion
  # (backup_completed) and checks that Prometheus saw it.
  local dump="" i
  for i in $(seq 1 300); do
    dump="$(cd "$s3/$bucket" && find . -name 'twist-*.dump' | sort | tail -n1)"
    if [[ -n "$dump" && -f "$s3/$bucket/$dump.sha256" ]] \
      && (cd "$s3/$bucket/$(dirname "$dump")" && sha256sum --status -c "$(basename "$dump").sha256") 2>/dev/null; then
      break
    fi
    if [[ "$(kubectl -n "$ns" get "job/$backup_job" -o jsonpath='{.status.failed}')" -ge 1 ]] 2>/dev/null || [[ $i -eq 300 ]]; then
      kubectl -n "$ns" logs "job/$backup_job" --all-containers --prefix >&2 || true
      die "backup job: no dump with a matching checksum in the bucket"
    fi
    sleep 1
  done
  (cd "$s3/$bucket/$(dirname "$dump")" && sha256sum -c "$(basename "$dump").sha256" >&2) || die "dump checksum"
  figure backup_upload_seconds $(( $(date +%s) - t ))
  figure backup_dump_bytes "$(stat -c %s "$s3/$bucket/$dump")"

  # a fresh database: the schema dropped (as after a lost volume and a new twist-data)
  admin_kubectl -n "$ns" scale deployment twist-influencer-api --replicas=0 >/dev/null
  admin_kubectl -n "$ns" wait --for=delete pod -l app.kubernetes.io/component=influencer-api --timeout=120s >/dev/null || true
  admin_kubectl -n "$ns" exec twist-data-postgresql-0 -- psql -U twist -d twist -q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null

  t=$(date +%s)
  bash charts/twist-data/scripts/restore.sh -n "$ns" --yes >"$work/restore.log" 2>&1 \
    || { cat "$work/restore.log" >&2; die "restore.sh"; }
  figure restore_seconds $(( $(date +%s) - t ))
  # then the app again (README "If the disk or the VM is lost": restore, then deploy twist)
  kubectl -n "$ns" scale deployment twist-influencer-api --replicas=1 >/dev/null
  tail -n 3 "$work/restore.log" >&2
  after="$(db_fingerprint)"
  if [[ "$before" != "$after" ]]; then
    diff <(echo "$before") <(echo "$after") >&2 || true
    die "the restored database differs from the backed-up one"
  fi
  log "restore: $(grep -c = <<<"$after") table counts and ledger sums equal"
  kubectl -n "$ns" rollout status deployment twist-influencer-api --timeout=180s >/dev/null
  ledger_invariants
}

# backup_completed: step 5's backup Job completed (after its metrics hold); its time from start to
# completion as a figure
backup_completed() {
  kubectl -n "$ns" wait --for=condition=complete "job/$backup_job" --timeout=300s >/dev/null \
    || { kubectl -n "$ns" logs "job/$backup_job" --all-containers --prefix >&2 || true; die "backup job"; }
  kubectl -n "$ns" logs "job/$backup_job" --all-containers --prefix | tail -n 4 >&2
  local start end
  start="$(kubectl -n "$ns" get "job/$backup_job" -o jsonpath='{.status.startTime}')"
  end="$(kubectl -n "$ns" get "job/$backup_job" -o jsonpath='{.status.completionTime}')"
  figure backup_seconds $(( $(date -d "$end" +%s) - $(date -d "$start" +%s) ))
}
