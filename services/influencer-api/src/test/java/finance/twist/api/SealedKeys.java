package finance.twist.api;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.api.conversions.ProductSecretCipher;
import finance.twist.testing.TestDatabase;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code product_keys} table seen from outside the service, for the CONVERSIONS_SECRET_KEY
 * rotation tests: server keys as configuration values, merchant keys written sealed under a given
 * server key (real AES-GCM, as the service seals them), and the stored ciphertexts read back.
 */
final class SealedKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final TestDatabase db;

    SealedKeys(TestDatabase db) {
        this.db = db;
    }

    /** The server key before a rotation (CONVERSIONS_SECRET_KEY, later _PREVIOUS). */
    static final byte[] OLD_SERVER_KEY = serverKey(0x0a);

    /** The server key after a rotation. */
    static final byte[] NEW_SERVER_KEY = serverKey(0x0b);

    /** 32 bytes of {@code fill}: distinct server keys without key material in the source. */
    static byte[] serverKey(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return key;
    }

    /** {@code serverKey} as CONVERSIONS_SECRET_KEY holds it (base64). */
    static String configValue(byte[] serverKey) {
        return Base64.getEncoder().encodeToString(serverKey);
    }

    /** Server configuration with the current key and, when not null, the previous one. */
    static Map<String, String> config(byte[] current, byte[] previous) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("twist.mode", "production");
        // These tests stop a server and start the next on the same database several times. A
        // stop that races a keep-alive connection still finishing its last response was seen to
        // wait out the whole grace period (10 s in application.yaml); nothing here is in flight.
        values.put("server.shutdown-grace-period", "PT1S");
        values.put("conversions.secret.key", configValue(current));
        if (previous != null) {
            values.put("conversions.secret.key.previous", configValue(previous));
        }
        return values;
    }

    /** Adds {@code count} keys to {@code productId}, sealed under {@code serverKey}. */
    List<MerchantKey> insert(String productId, int count, byte[] serverKey) {
        ProductSecretCipher cipher = new ProductSecretCipher(serverKey);
        List<MerchantKey> keys = new ArrayList<>();
        try (var c = db.connect();
                var insert = c.prepareStatement(
                        "INSERT INTO product_keys (key_id, product_id, secret_ciphertext) VALUES (?, ?, ?)")) {
            for (int i = 0; i < count; i++) {
                MerchantKey key = new MerchantKey(productId, "mk_" + hex(12), hex(32));
                insert.setString(1, key.keyId());
                insert.setString(2, productId);
                insert.setBytes(3, cipher.seal(key.keyId(), key.secret()));
                insert.addBatch();
                keys.add(key);
            }
            insert.executeBatch();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return keys;
    }

    /** Replaces the stored ciphertext of {@code key} with its secret sealed under {@code serverKey}. */
    void reseal(MerchantKey key, byte[] serverKey) {
        write(key.keyId(), new ProductSecretCipher(serverKey).seal(key.keyId(), key.secret()));
    }

    /** The stored ciphertext of every key, by key id. */
    Map<String, byte[]> ciphertexts() {
        Map<String, byte[]> stored = new LinkedHashMap<>();
        try (var c = db.connect();
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT key_id, secret_ciphertext FROM product_keys ORDER BY key_id")) {
            while (rs.next()) {
                stored.put(rs.getString(1), rs.getBytes(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return stored;
    }

    /** How many stored keys open under {@code serverKey}. */
    long openingUnder(byte[] serverKey) {
        return ciphertexts().entrySet().stream()
                .filter(row -> opensUnder(serverKey, row.getKey(), row.getValue()))
                .count();
    }

    /** Whether {@code stored} is {@code keyId}'s secret sealed under {@code serverKey}. */
    static boolean opensUnder(byte[] serverKey, String keyId, byte[] stored) {
        try {
            new ProductSecretCipher(serverKey).open(keyId, stored);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private void write(String keyId, byte[] ciphertext) {
        try (var c = db.connect();
                var update = c.prepareStatement("UPDATE product_keys SET secret_ciphertext = ? WHERE key_id = ?")) {
            update.setBytes(1, ciphertext);
            update.setString(2, keyId);
            if (update.executeUpdate() != 1) {
                throw new IllegalStateException("no key " + keyId);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return HexFormat.of().formatHex(value);
    }
}
