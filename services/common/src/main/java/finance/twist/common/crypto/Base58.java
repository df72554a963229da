package finance.twist.common.crypto;

import java.util.Arrays;

/**
 * Bitcoin-alphabet Base58, the encoding of Solana addresses and signatures. Decoding is strict: any
 * character outside the alphabet (including whitespace) is rejected, and leading '1's decode to
 * leading zero bytes.
 */
public final class Base58 {

    private static final char[] ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
    private static final int[] INDEXES = new int[128];

    static {
        Arrays.fill(INDEXES, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            INDEXES[ALPHABET[i]] = i;
        }
    }

    private Base58() {}

    /** Encodes {@code input} (empty input gives the empty string). */
    public static String encode(byte[] input) {
        if (input.length == 0) {
            return "";
        }
        int zeros = 0;
        while (zeros < input.length && input[zeros] == 0) {
            zeros++;
        }
        byte[] number = Arrays.copyOf(input, input.length);
        char[] encoded = new char[input.length * 2];
        int out = encoded.length;
        int start = zeros;
        while (start < number.length) {
            encoded[--out] = ALPHABET[divmod(number, start, 256, 58)];
            if (number[start] == 0) {
                start++;
            }
        }
        while (out < encoded.length && encoded[out] == ALPHABET[0]) {
            out++;
        }
        while (--zeros >= 0) {
            encoded[--out] = ALPHABET[0];
        }
        return new String(encoded, out, encoded.length - out);
    }

    /**
     * Decodes {@code input}.
     *
     * @throws IllegalArgumentException when {@code input} holds a character outside the alphabet
     */
    public static byte[] decode(String input) {
        if (input.isEmpty()) {
            return new byte[0];
        }
        byte[] input58 = new byte[input.length()];
        for (int i = 0; i < input.length(); i++) {
            char c = input.charAt(i);
            int digit = c < 128 ? INDEXES[c] : -1;
            if (digit < 0) {
                throw new IllegalArgumentException("invalid base58 character at position " + i);
            }
            input58[i] = (byte) digit;
        }
        int zeros = 0;
        while (zeros < input58.length && input58[zeros] == 0) {
            zeros++;
        }
        byte[] decoded = new byte[input.length()];
        int out = decoded.length;
        int start = zeros;
        while (start < input58.length) {
            decoded[--out] = divmod(input58, start, 58, 256);
            if (input58[start] == 0) {
                start++;
            }
        }
        while (out < decoded.length && decoded[out] == 0) {
            out++;
        }
        return Arrays.copyOfRange(decoded, out - zeros, decoded.length);
    }

    /**
     * Decodes {@code input} and requires exactly {@code length} bytes.
     *
     * @throws IllegalArgumentException when the text is not base58 or has another length
     */
    public static byte[] decode(String input, int length) {
        // an upper bound on the characters that length bytes can need keeps the quadratic loop small
        if (input.length() > length * 2 + 1) {
            throw new IllegalArgumentException("base58 text too long");
        }
        byte[] bytes = decode(input);
        if (bytes.length != length) {
            throw new IllegalArgumentException("expected " + length + " bytes, got " + bytes.length);
        }
        return bytes;
    }

    /** Divides the big-endian number in {@code number[start..]} (digits in {@code base}) in place; returns the remainder. */
    private static byte divmod(byte[] number, int start, int base, int divisor) {
        int remainder = 0;
        for (int i = start; i < number.length; i++) {
            int digit = number[i] & 0xFF;
            int temp = remainder * base + digit;
            number[i] = (byte) (temp / divisor);
            remainder = temp % divisor;
        }
        return (byte) remainder;
    }
}
