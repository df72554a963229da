#!/usr/bin/env python3
"""Proves the migrate hook ran before the new pods of an upgrade, from the namespace's events
(they outlive the hook's Job, which helm deletes on success).

    kubectl get events -o json | hook-order.py SINCE_ISO8601

Fails unless, after SINCE, the Job twist-migrate completed, and every pod a ReplicaSet created
after SINCE was created at or after that completion (events have 1 s resolution).
"""
import json, sys
from datetime import datetime

def utc(t):  # "2026-12-03T15:21:40Z" or with fractions: seconds resolution, UTC
    return datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")

since = utc(sys.argv[1])
def when(e):
    return utc(e.get("lastTimestamp") or e.get("eventTime") or e["metadata"]["creationTimestamp"])

events = [e for e in json.load(sys.stdin)["items"] if when(e) >= since]
done = [when(e) for e in events if e["involvedObject"]["kind"] == "Job"
        and e["involvedObject"]["name"] == "twist-migrate" and e["reason"] == "Completed"]
pods = [(when(e), e["message"]) for e in events if e["involvedObject"]["kind"] == "ReplicaSet"
        and e["reason"] == "SuccessfulCreate"]
if not done:
    sys.exit("hook-order: no completed twist-migrate Job since " + sys.argv[1])
if not pods:
    sys.exit("hook-order: no pods created by a ReplicaSet since " + sys.argv[1])
first_pod = min(p[0] for p in pods)
if first_pod < max(done):
    sys.exit(f"hook-order: a new pod ({first_pod}) was created before the migration completed ({max(done)})")
print(f"hook-order: migrate Job completed {max(done).time()}, first new pod {first_pod.time()} ({len(pods)} new pods)")
