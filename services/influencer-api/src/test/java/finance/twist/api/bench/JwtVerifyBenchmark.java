package finance.twist.api.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import finance.twist.api.auth.AccessTokenSettings;
import finance.twist.api.auth.AccessTokenVerifier;
import finance.twist.api.auth.InvalidTokenException;
import finance.twist.api.auth.JwksSource;
import finance.twist.api.auth.VerifiedToken;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of verifying one access token (parse, ES256 signature, claims) with keys already cached.
 * Compiled and run only with {@code -Pbench} (see docs/performance-api.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JwtVerifyBenchmark {

    private AccessTokenVerifier verifier;
    private String token;
    private java.security.interfaces.ECPublicKey publicKey;
    private byte[] signingInput;
    private byte[] signature;
    private finance.twist.api.auth.Es256Key es256Key;

    @Setup
    public void setUp() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bench").generate();
        Path jwks = Files.createTempFile("jwks", ".json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        AccessTokenSettings settings = new AccessTokenSettings(
                URI.create("http://127.0.0.1:1/unused"),
                Optional.of(jwks),
                "twist-auth",
                "twist-api",
                Duration.ofMinutes(10),
                Duration.ofSeconds(10));
        verifier = new AccessTokenVerifier(
                JwksSource.create(settings, Clock.systemUTC()), "twist-auth", "twist-api", Clock.systemUTC());
        Instant now = Instant.now();
        String wallet = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("bench").build(),
                new JWTClaimsSet.Builder()
                        .issuer("twist-auth")
                        .audience("twist-api")
                        .subject(wallet)
                        .claim("wallet", wallet)
                        .claim("roles", List.of("user"))
                        .issueTime(Date.from(now))
                        .notBeforeTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(3600)))
                        .jwtID("bench")
                        .build());
        jwt.sign(new ECDSASigner(key));
        token = jwt.serialize();
        publicKey = key.toECPublicKey();
        es256Key = new finance.twist.api.auth.Es256Key(publicKey);
        signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        signature = java.util.Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
    }

    /** The JDK's ES256 signature check alone, for comparison with the one the verifier uses. */
    @Benchmark
    public boolean signatureOnlyJdk() throws java.security.GeneralSecurityException {
        java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
        verifier.initVerify(publicKey);
        verifier.update(signingInput);
        return verifier.verify(signature);
    }

    /** The verifier's ES256 signature check alone (Bouncy Castle), to separate crypto from parsing. */
    @Benchmark
    public boolean signatureOnly() {
        return es256Key.verify(signingInput, signature);
    }

    @Benchmark
    public VerifiedToken verify() throws InvalidTokenException {
        return verifier.verify(token);
    }
}
