package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ProductSecretCipherTest {

    private static final byte[] KEY = new byte[32];
    private static final String SECRET = "0123456789abcdef".repeat(4);

    @Test
    void opensWhatItSealedAndNeverStoresTheSecretInClear() {
        ProductSecretCipher cipher = new ProductSecretCipher(KEY);
        byte[] sealed = cipher.seal("mk_a", SECRET);
        assertThat(sealed).hasSize(12 + 64 + 16);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(SECRET.substring(0, 8));
        assertThat(cipher.open("mk_a", sealed)).isEqualTo(SECRET);
        // a fresh nonce every time
        assertThat(cipher.seal("mk_a", SECRET)).isNotEqualTo(sealed);
    }

    @Test
    void refusesAnotherKeyIdAnotherServerKeyOrATamperedCiphertext() {
        ProductSecretCipher cipher = new ProductSecretCipher(KEY);
        byte[] sealed = cipher.seal("mk_a", SECRET);
        assertThatThrownBy(() -> cipher.open("mk_b", sealed)).isInstanceOf(IllegalStateException.class);
        byte[] otherKey = KEY.clone();
        otherKey[0] = 1;
        assertThatThrownBy(() -> new ProductSecretCipher(otherKey).open("mk_a", sealed))
                .isInstanceOf(IllegalStateException.class);
        byte[] tampered = Arrays.copyOf(sealed, sealed.length);
        tampered[20] ^= 1;
        assertThatThrownBy(() -> cipher.open("mk_a", tampered)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ProductSecretCipher(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
