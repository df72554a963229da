package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of docs/decisions/0022-influencer-api-layers.md, checked on the sources of
 * the packages that follow them: domain services and repositories know nothing of HTTP, build no
 * {@code Map<String, Object>} bodies and open no unit of work (but the two named entry points that
 * no request opens); SQL is only in repositories and reads; the records they return are typed
 * (ids as UUID, base units as long, times as Instant) rather than response bodies; the SQL helper
 * knows nothing of HTTP and does not depend on the ledger.
 */
class LayeringTest {

    private static final Path MAIN = Path.of("src/main/java/finance/twist/api");

    /**
     * Packages, or single files of a package that also holds HTTP code, that follow the rules
     * (others are converted by their own changes).
     */
    private static final List<String> DOMAIN_PACKAGES = List.of(
            "staking",
            "ledger",
            "links",
            "rewards",
            "payouts",
            "conversions",
            "influencers",
            "retention",
            "auth/UserDirectory.java",
            "auth/UserRepository.java");

    /** Files of those packages that belong to another change (issue 22 is split by package). */
    private static final Set<String> NOT_YET = Set.of();

    /**
     * Units of work no request opens, each through one entry point (decision 0022): the guard's
     * first-request user row, and the scheduled retention purge.
     */
    private static final Set<String> OWN_UNIT_OF_WORK =
            Set.of("auth/UserDirectory.java", "retention/RetentionPurge.java");

    /** A statement run through db/Sql or JDBC, or an SQL statement's text. */
    private static final Pattern SQL = Pattern.compile("Sql\\.(queryOne|query|queryPlannedPerCall|update)\\("
            + "|prepareStatement\\(|createStatement\\(|createArrayOf\\("
            + "|\"\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s");

    /** Domain classes whose nested records are results handed to the HTTP layer. */
    private static final List<String> RESULT_HOLDERS = List.of(
            "staking.StakingService",
            "staking.StakingReads",
            "ledger.AccountReads",
            "ledger.LedgerService",
            "links.LinkService",
            "rewards.VauRewardService",
            "ledger.Deposits",
            "payouts.PayoutService",
            "conversions.ConversionService",
            "conversions.ProductService",
            "conversions.ProductSecretResealer",
            "influencers.InfluencerService",
            "links.ClickRecorder",
            "retention.RetentionPurge");

    /**
     * Record components named like an id that are not UUIDs by design: a product's id is chosen by
     * the admin ({@code sku-42}; {@code products.id} is text, and links and conversions carry it).
     */
    private static final Set<String> STRING_IDS = Set.of("conversions.ProductService$Product.id");

    /** Component names that are ids (UUID, not String). */
    private static final Pattern ID = Pattern.compile("id|transactionId|influencerId|userId|linkId|clickId");

    /** Component names that are base units (long, not String). */
    private static final Pattern MONEY = Pattern.compile(
            "(?i).*(amount|total|staked|claimed|position|balance|available|minStake|rewards|earned|commission).*");

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
                boolean opens = text.contains(".inTransaction(")
                        || text.contains("sql.read(")
                        || text.contains(".once(")
                        || text.contains("final Sql ");
                if (opens && !OWN_UNIT_OF_WORK.contains(relative(file))) {
                    violations.add(file + ": opens a unit of work (the HttpService does)");
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void sqlIsOnlyInRepositoriesAndReads() {
        List<String> violations = new ArrayList<>();
        int repositories = 0;
        for (String pkg : DOMAIN_PACKAGES) {
            for (Path file : sources(pkg)) {
                String name = file.getFileName().toString();
                boolean repository = name.endsWith("Repository.java") || name.endsWith("Reads.java");
                boolean sql = SQL.matcher(read(file)).find();
                if (repository && sql) {
                    repositories++;
                } else if (sql) {
                    violations.add(file + ": SQL outside a *Repository or *Reads class");
                }
            }
        }
        assertThat(violations).isEmpty();
        assertThat(repositories).as("repositories holding SQL").isGreaterThanOrEqualTo(14);
    }

    @Test
    void unitsOfWorkOpenedOutsideAHandlerHaveOneEntryPoint() {
        for (String file : OWN_UNIT_OF_WORK) {
            String text = read(MAIN.resolve(file));
            assertThat(text.split("\\.inTransaction\\(", -1))
                    .as(file + " opens its unit of work in one place")
                    .hasSize(2);
            assertThat(text).as(file).doesNotContain("sql.read(");
        }
    }

    @Test
    void domainSourcesCarryNoJsonAnnotations() {
        List<String> violations = new ArrayList<>();
        for (String pkg : DOMAIN_PACKAGES) {
            for (Path file : sources(pkg)) {
                if (read(file).contains("import com.fasterxml.jackson.annotation.")) {
                    violations.add(file + ": a JSON annotation (map to a response record in the HttpService)");
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void domainResultsAreTypedNotResponseBodies() throws ClassNotFoundException {
        List<String> violations = new ArrayList<>();
        int checked = 0;
        for (String holder : RESULT_HOLDERS) {
            for (Class<?> nested : Class.forName("finance.twist.api." + holder).getDeclaredClasses()) {
                if (!nested.isRecord()) {
                    continue;
                }
                for (RecordComponent component : nested.getRecordComponents()) {
                    checked++;
                    String name = component.getName();
                    Class<?> type = component.getType();
                    String qualified = nested.getName().substring("finance.twist.api.".length()) + "." + name;
                    if (ID.matcher(name).matches() && type == String.class && !STRING_IDS.contains(qualified)) {
                        violations.add(nested.getName() + "." + name + ": String (a UUID)");
                    }
                    if (MONEY.matcher(name).matches() && type == String.class) {
                        violations.add(nested.getName() + "." + name + ": String (base units as long)");
                    }
                    if (name.endsWith("At") && type == String.class) {
                        violations.add(nested.getName() + "." + name + ": String (an Instant)");
                    }
                }
            }
        }
        assertThat(checked).as("record components checked").isGreaterThan(50);
        assertThat(violations).isEmpty();
    }

    @Test
    void theSqlHelperKnowsNothingOfHttpNorTheLedger() {
        List<String> forbiddenInDb = new ArrayList<>(HTTP);
        forbiddenInDb.add("import finance.twist.api.ledger.");
        forbiddenInDb.add("import finance.twist.api.http.");
        forbiddenInDb.add("ProblemException");
        List<String> violations = new ArrayList<>();
        for (Path file : sources("db")) {
            String text = read(file);
            for (String forbidden : forbiddenInDb) {
                if (text.contains(forbidden)) {
                    violations.add(file + ": " + forbidden);
                }
            }
        }
        assertThat(violations).isEmpty();
        assertThat(sources("db")).as("the db sources are found").isNotEmpty();
    }

    /** The package's sources, or the one file when {@code pkg} names a file. */
    private static List<Path> sources(String pkg) {
        if (pkg.endsWith(".java")) {
            assertThat(MAIN.resolve(pkg)).as(pkg).isRegularFile();
            return List.of(MAIN.resolve(pkg));
        }
        try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !NOT_YET.contains(pkg + "/" + f.getFileName()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code package/File.java} of a main source. */
    private static String relative(Path file) {
        return MAIN.relativize(file).toString().replace('\\', '/');
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
