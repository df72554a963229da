# Local stand-in for SERVICE_BUILD_IMAGE of versions.env (the services' build stage) and for
# versions.env's JDK_TEST_IMAGE (the chart's helm test, which runs a single source file):
# Debian trixie's OpenJDK 21 and Maven 3.9. Built by scripts/images/base-images.sh where no
# registry can be reached; differences from the official images: docs/images.md.
ARG BASE_IMAGE=twist-local/debian:trixie
FROM ${BASE_IMAGE}
# the CAs this machine trusts beyond Debian's (an egress proxy's, say): base-images.sh puts
# /usr/local/share/ca-certificates/*.crt in local-ca/; update-ca-certificates also writes them
# into Java's keystore (ca-certificates-java)
COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jdk-headless maven ca-certificates curl \
 && update-ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["jshell"]
