# Local stand-in for POSTGRES_IMAGE of versions.env (the official Alpine image): Debian trixie's PostgreSQL 17 with an entrypoint that
# honours the official image's interface (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB,
# POSTGRES_INITDB_ARGS, PGDATA, /docker-entrypoint-initdb.d, postgres as uid/gid 70, started as
# root it steps down, started as 70 it runs as is). Differences: docs/images.md.
ARG BASE_IMAGE=twist-local/debian:trixie
FROM ${BASE_IMAGE}
# uid/gid 70 as in the Alpine image (the chart's securityContext runs it as 70); created before
# the package so its postinst uses them. No cluster is created at install time: the entrypoint
# initialises $PGDATA on first start, as the official image does.
RUN groupadd --system --gid 70 postgres \
 && useradd --system --uid 70 --gid 70 --home-dir /var/lib/postgresql --shell /bin/bash postgres \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-17 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d \
 && chown -R 70:70 /var/lib/postgresql /var/run/postgresql \
 && chmod 3777 /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/17/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# a fast shutdown, as the official image
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
