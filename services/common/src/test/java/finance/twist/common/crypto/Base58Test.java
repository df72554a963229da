package finance.twist.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Base58 against the published Bitcoin test vectors (base58_encode_decode.json) and round trips. */
class Base58Test {

    private static final String[][] VECTORS = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
        {
            "000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
            "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        },
    };

    @Test
    void encodesAndDecodesTheBitcoinVectors() {
        for (String[] vector : VECTORS) {
            byte[] bytes = HexFormat.of().parseHex(vector[0]);
            assertThat(Base58.encode(bytes)).as("encode %s", vector[0]).isEqualTo(vector[1]);
            assertThat(Base58.decode(vector[1])).as("decode %s", vector[1]).isEqualTo(bytes);
        }
        assertThat(Base58.encode("Hello World!".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("2NEpo7TZRRrLZSi2U");
    }

    @Test
    void roundTripsRandomKeysWithLeadingZeros() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 500; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            if (i % 5 == 0) {
                key[0] = 0;
                key[1] = 0;
            }
            String text = Base58.encode(key);
            assertThat(Base58.decode(text, 32)).isEqualTo(key);
        }
    }

    @Test
    void rejectsCharactersOutsideTheAlphabet() {
        for (String bad : new String[] {"0", "O", "I", "l", "abc def", "abc+", "é", "3EFU7m\n"}) {
            assertThatThrownBy(() -> Base58.decode(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void enforcesTheExpectedLength() {
        String thirtyOne = Base58.encode(new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Base58.decode(thirtyOne, 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 32 bytes");
        assertThatThrownBy(() -> Base58.decode("1".repeat(500), 32)).isInstanceOf(IllegalArgumentException.class);
    }
}
