package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The current/previous server key pair of a CONVERSIONS_SECRET_KEY rotation, with real AES-GCM. */
class ProductSecretKeyringTest {

    private static final String SECRET = "5ecre7".repeat(10) + "abcd";
    private static final byte[] OLD = key(0x0a);
    private static final byte[] NEW = key(0x0b);
    private static final byte[] UNRELATED = key(0x0c);

    @Test
    void sealsUnderTheCurrentKeyOnly() {
        ProductSecretKeyring rotating = new ProductSecretKeyring(NEW, Optional.of(OLD));
        byte[] sealed = rotating.seal("mk_a", SECRET);

        assertThat(new ProductSecretCipher(NEW).open("mk_a", sealed)).isEqualTo(SECRET);
        assertThat(new ProductSecretKeyring(OLD, Optional.empty()).open("mk_a", sealed))
                .isEmpty();
        assertThat(rotating.open("mk_a", sealed)).contains(new ProductSecretKeyring.Opened(SECRET, false));
    }

    @Test
    void opensUnderThePreviousKeyAndSaysSo() {
        byte[] sealedBeforeRotation = new ProductSecretCipher(OLD).seal("mk_a", SECRET);

        assertThat(new ProductSecretKeyring(NEW, Optional.of(OLD)).open("mk_a", sealedBeforeRotation))
                .contains(new ProductSecretKeyring.Opened(SECRET, true));
        // without the previous key it is unreadable
        assertThat(new ProductSecretKeyring(NEW, Optional.empty()).open("mk_a", sealedBeforeRotation))
                .isEmpty();
    }

    @Test
    void aWrongKeyAnotherKeyIdOrATamperedCiphertextOpensUnderNeither() {
        ProductSecretKeyring rotating = new ProductSecretKeyring(NEW, Optional.of(OLD));
        byte[] underUnrelated = new ProductSecretCipher(UNRELATED).seal("mk_a", SECRET);
        assertThat(rotating.open("mk_a", underUnrelated)).isEmpty();

        byte[] underOld = new ProductSecretCipher(OLD).seal("mk_a", SECRET);
        // the key id is associated data under either key
        assertThat(rotating.open("mk_b", underOld)).isEmpty();
        assertThat(rotating.open("mk_b", rotating.seal("mk_a", SECRET))).isEmpty();

        byte[] tampered = Arrays.copyOf(underOld, underOld.length);
        tampered[20] ^= 1;
        assertThat(rotating.open("mk_a", tampered)).isEmpty();
    }

    @Test
    void knowsWhetherARotationIsInProgress() {
        assertThat(new ProductSecretKeyring(NEW, Optional.of(OLD)).hasPreviousKey())
                .isTrue();
        assertThat(new ProductSecretKeyring(NEW, Optional.empty()).hasPreviousKey())
                .isFalse();
    }

    /** 32 bytes of {@code fill}: distinct test keys without key material in the source. */
    private static byte[] key(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return key;
    }
}
