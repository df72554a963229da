package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import finance.twist.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one behaviour for a malformed key in a set (docs/contracts/jwks.md), in auth-service's key ring. */
class SigningKeysTest {

    private static Map<String, Object> privateJwk(String kid) {
        return new LinkedHashMap<>(EcSigningKey.generate(kid).privateJwk());
    }

    private static String set(List<Object> keys) {
        return new String(Json.write(Map.of("keys", keys)), StandardCharsets.UTF_8);
    }

    @Test
    void aMalformedKeyIsSkippedAndTheRestOfTheSetIsUsed() throws Exception {
        Map<String, Object> good = privateJwk("good");
        Map<String, Object> offCurve = privateJwk("off-curve");
        offCurve.put("y", privateJwk("other").get("y"));
        offCurve.remove("d");
        Map<String, Object> notBase64 = privateJwk("not-base64");
        notBase64.put("x", "!".repeat(43));
        Map<String, Object> noY = privateJwk("no-y");
        noY.remove("y");
        Map<String, Object> mismatched = privateJwk("mismatched");
        mismatched.put("d", privateJwk("another").get("d"));
        List<Object> keys = new ArrayList<>(List.of(offCurve, notBase64, noY, mismatched, "not a key", good));

        List<EcSigningKey> parsed = SigningKeys.parse(set(keys));

        assertThat(parsed).extracting(EcSigningKey::kid).containsExactly("good");
        SigningKeys ring = new SigningKeys(parsed, null);
        assertThat(JWKSet.parse(new String(ring.jwks(), StandardCharsets.UTF_8)).getKeys())
                .singleElement()
                .satisfies(jwk -> assertThat(jwk.getKeyID()).isEqualTo("good"));
        // naming a skipped key as the active one is a start-up error
        assertThatThrownBy(() -> new SigningKeys(parsed, "mismatched")).hasMessageContaining("not in the JWK Set");
    }

    @Test
    void aSetWithNoUsableKeyIsRefusedWithTheReasonsButNoKeyMaterial() {
        Map<String, Object> mismatched = privateJwk("mismatched");
        String foreignD = (String) privateJwk("another").get("d");
        mismatched.put("d", foreignD);

        assertThatThrownBy(() -> SigningKeys.parse(set(List.of(mismatched))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no usable key")
                .hasMessageContaining("'mismatched'")
                .hasMessageContaining("does not match")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(foreignD));
    }

    @Test
    void publishedKeysArePaddedTo32BytesByNimbus() {
        for (int i = 0; i < 64; i++) {
            Map<String, Object> jwk = EcSigningKey.generate("k" + i).publicJwk();
            assertThat(((String) jwk.get("x"))).hasSize(43);
            assertThat(((String) jwk.get("y"))).hasSize(43);
            assertThat(jwk)
                    .containsEntry("alg", "ES256")
                    .containsEntry("use", "sig")
                    .doesNotContainKey("d");
        }
    }
}
