package finance.twist.api.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The four-eyes threshold of admin credits as the service reads it (the money rules: AdminHardeningIT). */
class DepositsTest {

    @Test
    void theThresholdComesFromLEDGER_CREDIT_APPROVAL_THRESHOLDInWholeTwist() {
        // the environment variable the chart sets (influencerApi.money.creditApprovalThresholdTwist)
        Config env = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(
                        EnvironmentVariables.expand(Map.of("LEDGER_CREDIT_APPROVAL_THRESHOLD", "250.5"))))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        assertThat(Deposits.from(env.get("ledger")).approvalThreshold()).isEqualTo(250_500_000_000L);
        // application.yaml's default, the same as the code's
        Config defaults = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        assertThat(Deposits.from(defaults.get("ledger")).approvalThreshold()).isEqualTo(1_000_000L * Amounts.ONE_TWIST);
        assertThat(Deposits.from(Config.empty().get("ledger")).approvalThreshold())
                .isEqualTo(1_000_000L * Amounts.ONE_TWIST);
        for (String bad : new String[] {"-1", "ten", "0.0000000001", "99999999999"}) {
            Config config = Config.builder()
                    .disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource()
                    .addSource(ConfigSources.create(Map.of("ledger.credit.approval.threshold", bad)))
                    .build();
            assertThatThrownBy(() -> Deposits.from(config.get("ledger")))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
