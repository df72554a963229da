package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConversionSettingsTest {

    @Test
    void ratesAreExactDecimalsOfTwistPerUnit() {
        ConversionSettings settings = settings(Map.of(
                "conversions.rates.usd", "10",
                "conversions.rates.eur", "10.123456789",
                "conversions.rates.jpy", "0.000000001",
                "conversions.secret.key", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="));
        assertThat(settings.rate("USD")).contains(BigInteger.valueOf(10_000_000_000L));
        assertThat(settings.rate("EUR")).contains(BigInteger.valueOf(10_123_456_789L));
        assertThat(settings.rate("JPY")).contains(BigInteger.ONE);
        assertThat(settings.rate("GBP")).isEmpty();
        assertThat(settings.secretKey()).isPresent();
    }

    @Test
    void refusesInexactOrNonPositiveRates() {
        assertThatThrownBy(() -> settings(Map.of("conversions.rates.usd", "1.0000000001")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings(Map.of("conversions.rates.usd", "1e3")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings(Map.of("conversions.rates.usd", "0")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings(Map.of("conversions.rates.dollars", "1")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutAKeyProductionDisablesAndDevelopmentGeneratesOne() {
        Config empty = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("conversions.rates.usd", "10")))
                .build()
                .get("conversions");
        assertThat(ConversionSettings.from(empty, false).secretKey()).isEmpty();
        assertThat(ConversionSettings.from(empty, true).secretKey())
                .hasValueSatisfying(key -> assertThat(key).hasSize(32));
    }

    private static ConversionSettings settings(Map<String, String> values) {
        return ConversionSettings.from(
                Config.builder()
                        .disableEnvironmentVariablesSource()
                        .disableSystemPropertiesSource()
                        .addSource(ConfigSources.create(values))
                        .build()
                        .get("conversions"),
                false);
    }
}
