package finance.twist.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * PostgreSQL and Redis in containers, for machines with a Docker engine (GitHub Actions). Loaded
 * only when {@link #dockerAvailable()} says so.
 */
final class ContainerServers {

    private static final String PASSWORD = "twist-test";

    private ContainerServers() {}

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @SuppressWarnings("resource") // the containers live for the whole JVM; Ryuk removes them
    static PostgresServer postgres() {
        GenericContainer<?> container = new GenericContainer<>("postgres:17-alpine")
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
        GenericContainer<?> container = new GenericContainer<>("redis:7-alpine")
                .withCommand("redis-server", "--requirepass", PASSWORD)
                .withExposedPorts(6379)
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
        container.start();
        return "redis://:" + PASSWORD + "@" + container.getHost() + ":" + container.getMappedPort(6379);
    }
}
