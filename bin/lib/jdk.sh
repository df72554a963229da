# shellcheck shell=bash
# Finds a JDK 21 or newer and exports JAVA_HOME and PATH for it. Helidon 4 needs Java 21+, while the
# default `java` on our machines is 17, so every script sources this instead of trusting PATH.

java_major_version() {
    # prints the major version of the java binary given as $1, or nothing
    "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

use_jdk21() {
    local candidate version best="" best_version=0
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        version=$(java_major_version "$JAVA_HOME/bin/java")
        if [ "${version:-0}" -ge 21 ] 2>/dev/null; then
            best="$JAVA_HOME"
            best_version=$version
        fi
    fi
    if [ -z "$best" ]; then
        for candidate in /usr/lib/jvm/*/; do
            candidate=${candidate%/}
            [ -x "$candidate/bin/javac" ] || continue
            version=$(java_major_version "$candidate/bin/java")
            if [ "${version:-0}" -ge 21 ] 2>/dev/null && [ "$version" -gt "$best_version" ]; then
                best=$candidate
                best_version=$version
            fi
        done
    fi
    if [ -z "$best" ]; then
        echo "error: no JDK 21 or newer found. Set JAVA_HOME to one, or install one under /usr/lib/jvm" >&2
        echo "       (for example: apt-get install temurin-21-jdk, or openjdk-21-jdk)." >&2
        return 1
    fi
    export JAVA_HOME="$best"
    export PATH="$JAVA_HOME/bin:$PATH"
    if [ "$best_version" -ge 24 ]; then
        # Maven 3.8's bundled Guava uses sun.misc.Unsafe; silence the JDK 24+ warning it causes
        export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
    fi
    echo "using JDK $best_version at $JAVA_HOME" >&2
}

require_maven() {
    if ! command -v mvn >/dev/null 2>&1; then
        echo "error: Maven (mvn) is not on PATH; install Maven 3.8 or newer (apt-get install maven)." >&2
        return 1
    fi
}
