package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** ES256 tokens checked by nimbus-jose-jwt, an independent implementation, using only our JWKS. */
class AccessTokensTest {

    private static final String WALLET = "7S3P4HxJpyyigGzodYwHtCxZyUQe9JiBMHyRWXArAaKv";
    private static final String ADMIN = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

    private final AuthSettings settings = settings(Map.of("AUTH_ADMIN_WALLETS", ADMIN + " , other"));

    @Test
    void tokensVerifyWithNimbusFromTheJwksAlone() throws Exception {
        SigningKeys keys = new SigningKeys(List.of(EcSigningKey.generate("k1")), null);
        AccessTokens tokens = new AccessTokens(keys, settings, Clock.systemUTC());

        AccessTokens.Issued issued = tokens.issue(WALLET, "family-1");
        JWTClaimsSet claims = nimbus(keys.jwks()).process(issued.token(), null);

        SignedJWT parsed = SignedJWT.parse(issued.token());
        assertThat(parsed.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(parsed.getHeader().getKeyID()).isEqualTo("k1");
        assertThat(claims.getIssuer()).isEqualTo("twist-auth");
        assertThat(claims.getAudience()).containsExactly("twist-api");
        assertThat(claims.getSubject()).isEqualTo(WALLET);
        assertThat(claims.getStringClaim("wallet")).isEqualTo(WALLET);
        assertThat(claims.getStringListClaim("roles")).containsExactly("user");
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getIssueTime()).isEqualTo(claims.getNotBeforeTime());
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime())
                .isEqualTo(15 * 60 * 1000L);
        assertThat(issued.expiresInSeconds()).isEqualTo(900);
        assertThat(tokens.verify(issued.token())).contains(new AccessTokens.Verified(WALLET, "family-1"));
    }

    @Test
    void adminWalletsGetTheAdminRole() throws Exception {
        SigningKeys keys = new SigningKeys(List.of(EcSigningKey.generate("k1")), null);
        AccessTokens tokens = new AccessTokens(keys, settings, Clock.systemUTC());

        JWTClaimsSet claims =
                nimbus(keys.jwks()).process(tokens.issue(ADMIN, "f").token(), null);

        assertThat(claims.getStringListClaim("roles")).containsExactly("user", "admin");
    }

    @Test
    void jwksPublishesEveryKeyButOnlyPublicParts() throws Exception {
        EcSigningKey old = EcSigningKey.generate("old");
        EcSigningKey current = EcSigningKey.generate("new");
        SigningKeys keys = new SigningKeys(List.of(old, current), "new");
        String jwks = new String(keys.jwks(), StandardCharsets.UTF_8);

        JWKSet set = JWKSet.parse(jwks);
        assertThat(set.getKeys()).hasSize(2);
        assertThat(set.getKeys()).allSatisfy(jwk -> {
            assertThat(jwk.isPrivate()).isFalse();
            assertThat(jwk.getAlgorithm().getName()).isEqualTo("ES256");
            assertThat(jwk.getKeyUse().identifier()).isEqualTo("sig");
        });
        assertThat(jwks).doesNotContain("\"d\"");
        AccessTokens tokens = new AccessTokens(keys, settings, Clock.systemUTC());
        assertThat(SignedJWT.parse(tokens.issue(WALLET, "f").token())
                        .getHeader()
                        .getKeyID())
                .isEqualTo("new");
    }

    @Test
    void jwkSetRoundTripsThroughGenerateKey() throws Exception {
        String generated = SigningKeys.generateJwkSet("ops-key");
        assertThat(JWKSet.parse(generated).getKeys().getFirst().isPrivate()).isTrue();

        List<EcSigningKey> parsed = SigningKeys.parse(generated);
        assertThat(parsed).singleElement().satisfies(key -> {
            assertThat(key.kid()).isEqualTo("ops-key");
            assertThat(key.canSign()).isTrue();
        });
    }

    @Test
    void refusesBrokenKeyMaterialWithoutEchoingIt() {
        String generated = SigningKeys.generateJwkSet("a");
        String mismatched =
                generated.replaceFirst("\"d\":\"[^\"]+\"", "\"d\":\"" + dOf(SigningKeys.generateJwkSet("b")) + "\"");
        assertThatThrownBy(() -> SigningKeys.parse(mismatched))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> SigningKeys.parse("{not json " + dOf(generated)))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(dOf(generated)));
        assertThatThrownBy(() -> new SigningKeys(SigningKeys.parse(generated), "missing"))
                .hasMessageContaining("not in the JWK Set");
    }

    @Test
    void productionRefusesToStartWithoutKeysAndDevelopmentMakesOne() {
        assertThatThrownBy(() -> SigningKeys.load(settings(Map.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("AUTH_JWT_KEYS");
        SigningKeys dev = SigningKeys.load(settings(Map.of("TWIST_MODE", "development")));
        assertThat(dev.active().canSign()).isTrue();
        assertThat(SigningKeys.load(settings(Map.of("AUTH_JWT_KEYS", SigningKeys.generateJwkSet("env-key"))))
                        .active()
                        .kid())
                .isEqualTo("env-key");
    }

    @Test
    void ownVerificationRejectsForeignExpiredAndTamperedTokens() {
        SigningKeys keys = new SigningKeys(List.of(EcSigningKey.generate("k1")), null);
        AccessTokens tokens = new AccessTokens(keys, settings, Clock.systemUTC());
        String token = tokens.issue(WALLET, "f").token();

        SigningKeys other = new SigningKeys(List.of(EcSigningKey.generate("k1")), null);
        assertThat(new AccessTokens(other, settings, Clock.systemUTC()).verify(token))
                .isEmpty();

        Clock later = Clock.fixed(Instant.now().plusSeconds(16 * 60 + 61), ZoneOffset.UTC);
        assertThat(new AccessTokens(keys, settings, later).verify(token)).isEmpty();

        String[] parts = token.split("\\.");
        assertThat(tokens.verify(parts[0] + "." + parts[1] + "x." + parts[2])).isEmpty();
        assertThat(tokens.verify(parts[0] + "." + parts[1] + ".")).isEmpty();

        AccessTokens otherAudience =
                new AccessTokens(keys, settings(Map.of("AUTH_JWT_AUDIENCE", "elsewhere")), Clock.systemUTC());
        assertThat(otherAudience.verify(token)).isEmpty();
    }

    static DefaultJWTProcessor<SecurityContext> nimbus(byte[] jwks) throws Exception {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(
                JWSAlgorithm.ES256, new ImmutableJWKSet<>(JWKSet.parse(new String(jwks, StandardCharsets.UTF_8)))));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                "twist-api",
                new JWTClaimsSet.Builder().issuer("twist-auth").build(),
                new HashSet<>(Set.of("sub", "exp", "iat", "nbf", "jti", "wallet", "roles"))));
        return processor;
    }

    static AuthSettings settings(Map<String, String> env) {
        return AuthSettings.load(
                Config.builder()
                        .disableEnvironmentVariablesSource()
                        .disableSystemPropertiesSource()
                        .addSource(ConfigSources.classpath("application.yaml"))
                        .build(),
                env);
    }

    private static String dOf(String jwkSet) {
        return jwkSet.replaceFirst("(?s).*\"d\":\"([^\"]+)\".*", "$1");
    }
}
