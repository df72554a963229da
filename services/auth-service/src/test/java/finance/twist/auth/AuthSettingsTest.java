package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Environment variables (the operator contract) over application.yaml over defaults. */
class AuthSettingsTest {

    @Test
    void defaultsFromApplicationYaml() {
        AuthSettings settings = AccessTokensTest.settings(Map.of());

        assertThat(settings.development()).isFalse();
        assertThat(settings.issuer()).isEqualTo("twist-auth");
        assertThat(settings.audience()).isEqualTo("twist-api");
        assertThat(settings.accessTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(settings.refreshTtl()).isEqualTo(Duration.ofDays(30));
        assertThat(settings.nonceTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.siwsDomain()).isEqualTo("localhost:3001");
        assertThat(settings.siwsUri()).isEqualTo("http://localhost:3001");
        assertThat(settings.siwsChainId()).isEqualTo("devnet");
        assertThat(settings.ipPerMinute()).isEqualTo(120);
        assertThat(settings.walletPerMinute()).isEqualTo(30);
        assertThat(settings.corsOrigins()).isEmpty();
        assertThat(settings.trustedProxies()).isEmpty();
        assertThat(settings.adminWallets()).isEmpty();
    }

    @Test
    void environmentVariablesWin() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("TWIST_MODE", "Development"),
                Map.entry("AUTH_JWT_ISSUER", "https://auth.twist.finance"),
                Map.entry("AUTH_JWT_AUDIENCE", "twist"),
                Map.entry("AUTH_JWT_TTL", "PT5M"),
                Map.entry("AUTH_REFRESH_TTL", "P7D"),
                Map.entry("AUTH_ADMIN_WALLETS", " a, b ,,"),
                Map.entry("AUTH_SIWS_DOMAIN", "app.twist.finance"),
                Map.entry("AUTH_SIWS_URI", "https://app.twist.finance"),
                Map.entry("AUTH_SIWS_STATEMENT", "Welcome."),
                Map.entry("AUTH_SIWS_CHAIN_ID", "mainnet"),
                Map.entry("AUTH_NONCE_TTL", "PT2M"),
                Map.entry("AUTH_CORS_ORIGINS", "https://app.twist.finance,https://admin.twist.finance"),
                Map.entry("AUTH_TRUSTED_PROXIES", "10.0.0.0/8"),
                Map.entry("AUTH_RATE_LIMIT_IP_PER_MINUTE", "60"),
                Map.entry("AUTH_RATE_LIMIT_WALLET_PER_MINUTE", "10"),
                Map.entry("AUTH_JWT_ACTIVE_KID", "k2"),
                Map.entry("AUTH_JWT_KEYS_FILE", "/run/secrets/jwks.json"));

        AuthSettings settings = AccessTokensTest.settings(env);

        assertThat(settings.development()).isTrue();
        assertThat(settings.issuer()).isEqualTo("https://auth.twist.finance");
        assertThat(settings.audience()).isEqualTo("twist");
        assertThat(settings.accessTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.refreshTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(settings.adminWallets()).isEqualTo(Set.of("a", "b"));
        assertThat(settings.siwsDomain()).isEqualTo("app.twist.finance");
        assertThat(settings.siwsUri()).isEqualTo("https://app.twist.finance");
        assertThat(settings.siwsStatement()).isEqualTo("Welcome.");
        assertThat(settings.siwsChainId()).isEqualTo("mainnet");
        assertThat(settings.nonceTtl()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.corsOrigins()).containsExactly("https://app.twist.finance", "https://admin.twist.finance");
        assertThat(settings.trustedProxies()).isEqualTo(List.of("10.0.0.0/8"));
        assertThat(settings.ipPerMinute()).isEqualTo(60);
        assertThat(settings.walletPerMinute()).isEqualTo(10);
        assertThat(settings.activeKid()).isEqualTo("k2");
        assertThat(settings.keysFile()).hasToString("/run/secrets/jwks.json");
    }

    @Test
    void configKeysApplyWhenTheEnvironmentIsSilent() {
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("auth.jwt.ttl", "PT1M", "twist.mode", "development")))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();

        AuthSettings settings = AuthSettings.load(config, Map.of("AUTH_JWT_TTL", " "));

        assertThat(settings.accessTtl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.development()).isTrue();
    }

    @Test
    void unusableValuesStopTheStartNamingTheVariable() {
        assertThatThrownBy(() -> AccessTokensTest.settings(Map.of("AUTH_JWT_TTL", "15m")))
                .hasMessageContaining("AUTH_JWT_TTL");
        assertThatThrownBy(() -> AccessTokensTest.settings(Map.of("AUTH_JWT_TTL", "-PT1M")))
                .hasMessageContaining("AUTH_JWT_TTL");
        assertThatThrownBy(() -> AccessTokensTest.settings(Map.of("AUTH_RATE_LIMIT_IP_PER_MINUTE", "lots")))
                .hasMessageContaining("AUTH_RATE_LIMIT_IP_PER_MINUTE");
        assertThatThrownBy(() -> AccessTokensTest.settings(Map.of("TWIST_MODE", "prod")))
                .hasMessageContaining("TWIST_MODE");
        assertThatThrownBy(() -> AccessTokensTest.settings(Map.of("AUTH_SIWS_STATEMENT", "two\nlines")))
                .hasMessageContaining("single lines");
    }
}
