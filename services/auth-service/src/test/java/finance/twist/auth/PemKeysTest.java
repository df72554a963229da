package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM signing keys as openssl writes them, cross-checked with nimbus (thumbprint kid, ES256). */
class PemKeysTest {

    @TempDir
    Path dir;

    @Test
    void readsOpensslPkcs8AndSec1KeysWithThumbprintKids() throws Exception {
        String pkcs8 = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        String sec1 = openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout");
        assertThat(pkcs8).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(sec1).startsWith("-----BEGIN EC PRIVATE KEY-----");

        List<EcSigningKey> keys = SigningKeys.parse(pkcs8 + "\n" + sec1);

        assertThat(keys).hasSize(2).allSatisfy(key -> assertThat(key.canSign()).isTrue());
        SigningKeys ring = new SigningKeys(keys, null);
        JWKSet jwks = JWKSet.parse(new String(ring.jwks(), StandardCharsets.UTF_8));
        for (var jwk : jwks.getKeys()) {
            // our kid is exactly the RFC 7638 thumbprint nimbus computes from x/y
            assertThat(jwk.getKeyID())
                    .isEqualTo(((ECKey) jwk).computeThumbprint().toString());
        }
        AccessTokens tokens = new AccessTokens(ring, AccessTokensTest.settings(Map.of()), Clock.systemUTC());
        assertThat(AccessTokensTest.nimbus(ring.jwks())
                        .process(tokens.issue("wallet", "f").token(), null)
                        .getSubject())
                .isEqualTo("wallet");
    }

    @Test
    void aPemFileCanBeTheKeysFile() throws Exception {
        Path file = dir.resolve("signing.pem");
        Files.writeString(file, openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"));

        SigningKeys keys = SigningKeys.load(AccessTokensTest.settings(Map.of("AUTH_JWT_KEYS_FILE", file.toString())));

        assertThat(keys.active().canSign()).isTrue();
        assertThat(keys.active().kid()).hasSize(43);
    }

    @Test
    void refusesOtherCurvesAndGarbage() throws Exception {
        String p384 = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384");
        assertThatThrownBy(() -> SigningKeys.parse(p384)).hasMessageContaining("P-256");
        assertThatThrownBy(() -> SigningKeys.parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SigningKeys.parse("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"))
                .hasMessageContaining("no 'PRIVATE KEY'");
    }

    private String openssl(String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "key", ".pem");
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        command.addAll(List.of("-out", out.toString()));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("openssl is not installed");
            throw e;
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        return Files.readString(out);
    }
}
