package finance.twist.api;

import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.logging.StructuredLog;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * Applies {@code db/migration} with Flyway. Migrations are expand/contract: each one keeps the
 * previous release working, so rolling the application back never needs a schema rollback.
 */
public final class Migrations {

    private static final StructuredLog LOG = StructuredLog.of(Migrations.class);

    private Migrations() {}

    public static MigrateResult migrate(DatabaseSettings settings) {
        FluentConfiguration configuration = Flyway.configure()
                .dataSource(settings.url(), settings.username(), settings.password())
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .validateMigrationNaming(true);
        // A session-level advisory lock instead of Flyway's default lock transaction: CREATE INDEX
        // CONCURRENTLY (V10) waits for every open transaction, that one included, and would hang
        // forever (flyway/flyway#3854).
        configuration
                .getConfigurationExtension(PostgreSQLConfigurationExtension.class)
                .setTransactionalLock(false);
        MigrateResult result = configuration.load().migrate();
        LOG.info(
                "db.migrated",
                "applied",
                result.migrationsExecuted,
                "schemaVersion",
                result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion);
        return result;
    }
}
