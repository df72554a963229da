package finance.twist.api.links;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of the configured pepper ({@code links.ip.pepper}), a zero byte and a value: how clicks
 * store client addresses and user agents, and how {@link OwnNetworks} stores the networks of an
 * influencer's own requests, so the two can be compared without storing an address.
 */
public final class PepperedHash {

    private final byte[] pepper;

    public PepperedHash(byte[] pepper) {
        this.pepper = pepper.clone();
    }

    /** 32 bytes. */
    public byte[] of(String value) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(pepper);
            digest.update((byte) 0);
            return digest.digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
