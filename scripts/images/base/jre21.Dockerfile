# Local stand-in for SERVICE_RUNTIME_IMAGE of versions.env (the services' runtime stage): Debian trixie's
# OpenJDK 21 headless JRE, curl for the HEALTHCHECK, groupadd/useradd for the non-root user.
# Differences from the official image: docs/images.md.
ARG BASE_IMAGE=twist-local/debian:trixie
FROM ${BASE_IMAGE}
# the CAs this machine trusts beyond Debian's (an egress proxy's, say): base-images.sh puts
# /usr/local/share/ca-certificates/*.crt in local-ca/; update-ca-certificates also writes them
# into Java's keystore (ca-certificates-java)
COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless ca-certificates curl \
 && update-ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["java", "-version"]
