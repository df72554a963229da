package finance.twist.testing;

import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;

/**
 * PostgreSQL and Redis in containers, for machines with a Docker engine (GitHub Actions). Used
 * only when asked ({@code TWIST_TEST_CONTAINERS=1}) or when every image it needs is already on
 * the engine ({@link #usable()}): an engine that answers but cannot pull (no registry) must not
 * fail the tests.
 */
final class ContainerServers {

    /** The images the charts run, from versions.env (POSTGRES_IMAGE, REDIS_IMAGE). */
    static final String POSTGRES_IMAGE = VersionsEnv.get("POSTGRES_IMAGE");

    static final String REDIS_IMAGE = VersionsEnv.get("REDIS_IMAGE");
    /**
     * The resource reaper Testcontainers starts first (org.testcontainers.utility.RyukContainer of
     * testcontainers 1.21.4; change it with version.testcontainers in the root pom).
     */
    static final String RYUK_IMAGE = "testcontainers/ryuk:0.12.0";

    private static final String PASSWORD = "twist-test";

    private ContainerServers() {}

    /**
     * Whether tests should use containers: {@code TWIST_TEST_CONTAINERS=1} forces them (and a
     * missing engine then fails loudly), {@code 0} forbids them; unset, they are used when an
     * engine answers and already holds PostgreSQL, Redis and (unless disabled) Ryuk's images.
     */
    static boolean usable() {
        String asked = System.getenv().getOrDefault("TWIST_TEST_CONTAINERS", "").trim();
        if (asked.equals("1")) {
            if (!dockerAvailable()) {
                throw new IllegalStateException("TWIST_TEST_CONTAINERS=1 but no Docker engine answers");
            }
            return true;
        }
        if (asked.equals("0") || !dockerAvailable()) {
            return false;
        }
        return missingImages().isEmpty();
    }

    /**
     * Whether an engine answers. Not {@code DockerClientFactory.isDockerAvailable()}: that starts
     * Ryuk, pulling its image, which is what an engine without a registry cannot do.
     */
    private static boolean dockerAvailable() {
        try {
            DockerClientFactory.instance().getTransportConfig();
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Images the containers need that the engine does not hold (nothing is pulled to find out). */
    static List<String> missingImages() {
        List<String> needed = new ArrayList<>(List.of(POSTGRES_IMAGE, REDIS_IMAGE));
        if (!Boolean.parseBoolean(System.getenv().getOrDefault("TESTCONTAINERS_RYUK_DISABLED", "false"))) {
            needed.add(RYUK_IMAGE);
        }
        List<String> missing = new ArrayList<>();
        // a plain client: DockerClientFactory.client() would start Ryuk, pulling its image
        try (var client = DockerClientProviderStrategy.getClientForConfig(
                DockerClientFactory.instance().getTransportConfig())) {
            for (String image : needed) {
                try {
                    client.inspectImageCmd(image).exec();
                } catch (RuntimeException absent) {
                    missing.add(image);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return needed;
        }
        return missing;
    }

    @SuppressWarnings("resource") // the containers live for the whole JVM; Ryuk removes them
    static PostgresServer postgres() {
        GenericContainer<?> container = new GenericContainer<>(POSTGRES_IMAGE)
                .withEnv("POSTGRES_USER", "twist")
                .withEnv("POSTGRES_PASSWORD", PASSWORD)
                .withEnv("POSTGRES_DB", "twist")
                .withExposedPorts(5432)
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\n", 2));
        container.start();
        return new PostgresServer(container.getHost(), container.getMappedPort(5432), "twist", PASSWORD, "twist");
    }

    @SuppressWarnings("resource")
    static String redisUrl() {
        GenericContainer<?> container = new GenericContainer<>(REDIS_IMAGE)
                .withCommand("redis-server", "--requirepass", PASSWORD)
                .withExposedPorts(6379)
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
        container.start();
        return "redis://:" + PASSWORD + "@" + container.getHost() + ":" + container.getMappedPort(6379);
    }
}
