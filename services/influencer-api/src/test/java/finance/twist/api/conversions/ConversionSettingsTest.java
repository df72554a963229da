package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Base64;
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

    @Test
    void thePreviousKeyComesFromCONVERSIONS_SECRET_KEY_PREVIOUS() {
        // the environment as the service reads it: Helidon maps CONVERSIONS_SECRET_KEY_PREVIOUS to
        // conversions.secret.key.previous, next to the value of conversions.secret.key
        Map<String, String> env = Map.of(
                "CONVERSIONS_SECRET_KEY", base64Key(0x0b),
                "CONVERSIONS_SECRET_KEY_PREVIOUS", base64Key(0x0a));
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(EnvironmentVariables.expand(env)))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();

        ConversionSettings settings = ConversionSettings.from(config.get("conversions"), false);

        assertThat(settings.secretKey())
                .hasValueSatisfying(
                        key -> assertThat(key).isEqualTo(Base64.getDecoder().decode(base64Key(0x0b))));
        assertThat(settings.previousSecretKey())
                .hasValueSatisfying(
                        key -> assertThat(key).isEqualTo(Base64.getDecoder().decode(base64Key(0x0a))));
        assertThat(settings(Map.of("conversions.secret.key", base64Key(0x0b))).previousSecretKey())
                .isEmpty();
        assertThat(settings(Map.of("conversions.secret.key", base64Key(0x0b), "conversions.secret.key.previous", " "))
                        .previousSecretKey())
                .isEmpty();
    }

    @Test
    void eitherKeyMustBeBase64OfThirtyTwoBytesAndTheErrorNamesItNotItsValue() {
        String notBase64 = "not base64 at all!";
        String short16 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> settings(Map.of("conversions.secret.key", notBase64)))
                .hasMessageContaining("CONVERSIONS_SECRET_KEY")
                .hasMessageNotContaining(notBase64);
        assertThatThrownBy(() -> settings(Map.of("conversions.secret.key", short16)))
                .hasMessageContaining("32 bytes")
                .hasMessageNotContaining(short16);
        assertThatThrownBy(() -> settings(Map.of(
                        "conversions.secret.key", base64Key(0x0b), "conversions.secret.key.previous", notBase64)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONVERSIONS_SECRET_KEY_PREVIOUS")
                .hasMessageNotContaining(notBase64);
        assertThatThrownBy(() -> settings(
                        Map.of("conversions.secret.key", base64Key(0x0b), "conversions.secret.key.previous", short16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONVERSIONS_SECRET_KEY_PREVIOUS")
                .hasMessageContaining("32 bytes");
    }

    @Test
    void aPreviousKeyWithoutACurrentOneIsRefusedAlsoInDevelopment() {
        Config onlyPrevious = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("conversions.secret.key.previous", base64Key(0x0a))))
                .build()
                .get("conversions");
        for (boolean development : new boolean[] {false, true}) {
            assertThatThrownBy(() -> ConversionSettings.from(onlyPrevious, development))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CONVERSIONS_SECRET_KEY is not");
        }
    }

    @Test
    void theDailyCommissionCapComesFromCONVERSIONS_DAILY_CAPInWholeTwist() {
        // the environment variable the chart sets (influencerApi.money.commissionDailyCapTwist)
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(EnvironmentVariables.expand(Map.of("CONVERSIONS_DAILY_CAP", "2500.5"))))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        assertThat(ConversionSettings.from(config.get("conversions"), false).dailyCap())
                .isEqualTo(2_500_500_000_000L);
        // application.yaml's default, the same as the code's
        assertThat(settings(Map.of()).dailyCap()).isEqualTo(100_000L * 1_000_000_000L);
        assertThat(settings(Map.of("conversions.daily.cap", "0")).dailyCap()).isZero();
        for (String bad : new String[] {"-1", "1e3", "0.0000000001", "99999999999", "ten"}) {
            assertThatThrownBy(() -> settings(Map.of("conversions.daily.cap", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Base64 of 32 bytes of {@code fill}: a valid key without key material in the source. */
    private static String base64Key(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return Base64.getEncoder().encodeToString(key);
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
