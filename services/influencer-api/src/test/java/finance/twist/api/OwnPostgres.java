package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of one test's own (not the shared one), on a data directory that survives
 * a stop, so a test can stop, restart or freeze it: PostgresOutageIT, PostgresBlackHoleIT and
 * AbuseLoadBench.
 */
final class OwnPostgres {

    private OwnPostgres() {}

    /** Starts (or restarts) the server on {@code data}, keeping what is there. */
    static EmbeddedPostgres start(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("fsync", "off")
                .start();
    }

    /** The server's {@code postgres} database, as the shared infrastructure hands its own out. */
    static TestDatabase database(int port) {
        return new TestDatabase("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "", "postgres");
    }

    /** Removes a stopped server's data directory (about 50 MB; memory when it is on tmpfs). */
    static void delete(Path data) throws IOException {
        try (Stream<Path> paths = Files.walk(data)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * Freezes the server (SIGSTOP): open connections, no answers, a black hole. The postmaster
     * first, so no backend is forked after the list of its children is taken.
     *
     * @return the stopped processes, for {@link #thaw}
     */
    static List<Long> freeze(Path data) throws IOException, InterruptedException {
        long postmaster = Long.parseLong(
                Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        signal("STOP", List.of(postmaster));
        List<Long> frozen = new ArrayList<>();
        frozen.add(postmaster);
        ProcessHandle.of(postmaster)
                .map(ProcessHandle::descendants)
                .orElse(Stream.empty())
                .forEach(p -> frozen.add(p.pid()));
        signal("STOP", frozen);
        return frozen;
    }

    /** Resumes (SIGCONT) what {@link #freeze} stopped. */
    static void thaw(List<Long> frozen) throws IOException, InterruptedException {
        signal("CONT", frozen);
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }
}
