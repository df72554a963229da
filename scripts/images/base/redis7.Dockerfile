# Local stand-in for REDIS_IMAGE of versions.env (the official Alpine image): Debian bookworm's Redis 7.0 (trixie ships Redis 8), user
# redis as uid/gid 999 as in the Alpine image (the chart's securityContext runs it as 999),
# data in /data. Compose and the chart pass their own command (sh -ec ... redis-server), so no
# entrypoint is needed. Differences: docs/images.md.
ARG BASE_IMAGE=twist-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid 999 --home-dir /data --shell /usr/sbin/nologin redis \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown 999:999 /data
VOLUME /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
