package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of docs/decisions/0022-influencer-api-layers.md, checked on the sources of
 * the packages that follow them: domain services and repositories know nothing of HTTP, build no
 * {@code Map<String, Object>} bodies and open no unit of work; the SQL helper does not depend on
 * the ledger.
 */
class LayeringTest {

    private static final Path MAIN = Path.of("src/main/java/finance/twist/api");

    /** Packages that follow the rules (others are converted by their own changes). */
    private static final List<String> DOMAIN_PACKAGES = List.of("staking", "ledger", "links", "rewards");

    /** Files of those packages that belong to another change (issue 22 is split by package). */
    private static final Set<String> NOT_YET = Set.of("ledger/Deposits.java", "links/ClickRecorder.java");

    private static final List<String> HTTP = List.of(
            "import finance.twist.common.http.",
            "import io.helidon.webserver.",
            "import io.helidon.http.",
            "ServerRequest",
            "ServerResponse");

    @Test
    void domainServicesAndRepositoriesKnowNothingOfHttp() {
        List<String> violations = new ArrayList<>();
        for (String pkg : DOMAIN_PACKAGES) {
            assertThat(sources(pkg)).as(pkg + " sources are found").isNotEmpty();
            for (Path file : sources(pkg)) {
                String text = read(file);
                for (String forbidden : HTTP) {
                    if (text.contains(forbidden)) {
                        violations.add(file + ": " + forbidden);
                    }
                }
                if (text.contains("Map<String, Object>")) {
                    violations.add(file + ": Map<String, Object> (return a record)");
                }
                if (text.contains(".inTransaction(") || text.contains("sql.read(") || text.contains(".once(")) {
                    violations.add(file + ": opens a unit of work (the HttpService does)");
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void theSqlHelperDoesNotDependOnTheLedgerOrTheWebServer() {
        List<String> violations = new ArrayList<>();
        for (Path file : sources("db")) {
            String text = read(file);
            for (String forbidden : List.of("import finance.twist.api.ledger.", "import io.helidon.webserver.")) {
                if (text.contains(forbidden)) {
                    violations.add(file + ": " + forbidden);
                }
            }
        }
        assertThat(violations).isEmpty();
        assertThat(sources("db")).as("the db sources are found").isNotEmpty();
    }

    private static List<Path> sources(String pkg) {
        try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !NOT_YET.contains(pkg + "/" + f.getFileName()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
