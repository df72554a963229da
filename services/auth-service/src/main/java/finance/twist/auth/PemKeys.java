package finance.twist.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads EC P-256 private keys in PEM, as {@code openssl} writes them, so operators may mount either a
 * JWK Set or PEM files:
 *
 * <pre>
 * openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out auth-signing.pem   # PKCS#8 "PRIVATE KEY"
 * openssl ecparam -name prime256v1 -genkey -noout -out auth-signing.pem                 # SEC1 "EC PRIVATE KEY"
 * </pre>
 *
 * Both forms carry the public point, which is required (the JDK cannot derive it). The kid of a PEM
 * key is its RFC 7638 JWK thumbprint (SHA-256, base64url), so it is stable across restarts and
 * replicas. Several PEM blocks may be concatenated; the first one signs unless
 * {@code AUTH_JWT_ACTIVE_KID} names another.
 */
final class PemKeys {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN (EC )?PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END (EC )?PRIVATE KEY-----");
    private static final byte[] OID_EC_PUBLIC_KEY = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] OID_P256 = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private PemKeys() {}

    static boolean looksLikePem(String text) {
        return text.stripLeading().startsWith("-----BEGIN");
    }

    /** The JWKs (with {@code d}) of every private-key block in {@code pem}. */
    static List<Map<String, Object>> parse(String pem) {
        List<Map<String, Object>> keys = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(pem);
        while (matcher.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(matcher.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a PEM private key block is not valid base64");
            }
            byte[] sec1 = matcher.group(1) != null ? der : unwrapPkcs8(der);
            keys.add(jwk(sec1));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no 'PRIVATE KEY' or 'EC PRIVATE KEY' PEM block found");
        }
        return keys;
    }

    /** RFC 7638 thumbprint of a P-256 public key. */
    static String thumbprint(String x, String y) {
        String canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        try {
            return B64URL.encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] unwrapPkcs8(byte[] der) {
        Der info = new Der(der).sequence();
        info.next(0x02); // version
        Der algorithm = info.next(0x30).sequence();
        if (!Arrays.equals(algorithm.next(0x06).value(), OID_EC_PUBLIC_KEY)) {
            throw new IllegalArgumentException("the PEM key is not an EC key");
        }
        if (!Arrays.equals(algorithm.next(0x06).value(), OID_P256)) {
            throw new IllegalArgumentException("the PEM key is not on P-256 (prime256v1)");
        }
        return info.next(0x04).value();
    }

    private static Map<String, Object> jwk(byte[] sec1) {
        Der key = new Der(sec1).sequence();
        key.next(0x02); // version 1
        byte[] d = key.next(0x04).value();
        byte[] point = null;
        while (key.hasMore()) {
            Der element = key.next(-1);
            if (element.tag() == 0xa0
                    && !Arrays.equals(element.sequence().next(0x06).value(), OID_P256)) {
                throw new IllegalArgumentException("the PEM key is not on P-256 (prime256v1)");
            }
            if (element.tag() == 0xa1) {
                point = element.sequence().next(0x03).value();
            }
        }
        if (point == null || point.length != 66 || point[0] != 0 || point[1] != 0x04) {
            throw new IllegalArgumentException(
                    "the PEM key lacks its uncompressed public point; write it with openssl genpkey or ecparam");
        }
        if (d.length != 32) {
            throw new IllegalArgumentException("the PEM private scalar is not 32 bytes");
        }
        String x = B64URL.encodeToString(Arrays.copyOfRange(point, 2, 34));
        String y = B64URL.encodeToString(Arrays.copyOfRange(point, 34, 66));
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kty", "EC");
        jwk.put("crv", "P-256");
        jwk.put("x", x);
        jwk.put("y", y);
        jwk.put("d", B64URL.encodeToString(d));
        jwk.put("kid", thumbprint(x, y));
        return jwk;
    }

    /** A cursor over DER elements (definite lengths only). */
    private static final class Der {

        private final byte[] bytes;
        private int position;
        private final int end;
        private int tag;
        private int valueStart;
        private int valueEnd;

        Der(byte[] bytes) {
            this(bytes, 0, bytes.length);
        }

        private Der(byte[] bytes, int start, int end) {
            this.bytes = bytes;
            this.position = start;
            this.end = end;
        }

        boolean hasMore() {
            return position < end;
        }

        /** The next element; {@code expectedTag} -1 accepts any. */
        Der next(int expectedTag) {
            if (position + 2 > end) {
                throw new IllegalArgumentException("the PEM key is truncated");
            }
            Der element = new Der(bytes, position, end);
            element.tag = bytes[position] & 0xFF;
            int length = bytes[position + 1] & 0xFF;
            int offset = position + 2;
            if (length > 0x80) {
                int count = length & 0x7F;
                if (count > 3 || offset + count > end) {
                    throw new IllegalArgumentException("the PEM key has a bad DER length");
                }
                length = 0;
                for (int i = 0; i < count; i++) {
                    length = (length << 8) | (bytes[offset++] & 0xFF);
                }
            } else if (length == 0x80) {
                throw new IllegalArgumentException("the PEM key uses indefinite DER lengths");
            }
            if (offset + length > end) {
                throw new IllegalArgumentException("the PEM key is truncated");
            }
            element.valueStart = offset;
            element.valueEnd = offset + length;
            position = offset + length;
            if (expectedTag >= 0 && element.tag != expectedTag) {
                throw new IllegalArgumentException("the PEM key is not the expected DER structure");
            }
            return element;
        }

        /** The first element, entered (for SEQUENCE and context tags). */
        Der sequence() {
            Der self = tag == 0 ? next(0x30) : this;
            return new Der(bytes, self.valueStart, self.valueEnd);
        }

        int tag() {
            return tag;
        }

        byte[] value() {
            return Arrays.copyOfRange(bytes, valueStart, valueEnd);
        }
    }
}
