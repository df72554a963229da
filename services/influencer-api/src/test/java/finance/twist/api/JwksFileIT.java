package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** AUTH_JWKS_FILE: a static key set replaces the URL. */
@ExtendWith(TwistInfraExtension.class)
class JwksFileIT {

    @Test
    void tokensVerifyAgainstAStaticJwksFile(TestDatabase db, TestRedis redis, @TempDir Path dir) throws Exception {
        ECKey fileKey = new ECKeyGenerator(Curve.P_256).keyID("file-key").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(fileKey.toPublicJWK()).toString());
        try (ApiHarness api = new ApiHarness(db, redis, Map.of("auth.jwks.file", jwks.toString()))) {
            String wallet = ApiHarness.newWallet();
            assertThat(api.get(
                                    "/me",
                                    ApiHarness.sign(fileKey, api.claims(wallet).build()))
                            .statusCode())
                    .isEqualTo(200);
            // the URL's key is not consulted when a file is configured
            assertThat(api.get("/me", api.token(wallet)).statusCode()).isEqualTo(401);
            assertThat(api.jwksFetches.get()).isZero();
        }
    }
}
