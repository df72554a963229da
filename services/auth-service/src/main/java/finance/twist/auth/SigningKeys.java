package finance.twist.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.nimbusds.jose.jwk.ECKey;
import finance.twist.common.json.Json;
import finance.twist.common.logging.StructuredLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ES256 key ring: one active key signs, every configured key is published in the JWKS so tokens
 * signed before a rotation keep verifying until they expire. Rotation without downtime:
 *
 * <ol>
 *   <li>add the new private key to the set, keep the old one active; deploy (the JWKS now has both,
 *       and verifiers refresh their cache within its max-age);
 *   <li>set {@code AUTH_JWT_ACTIVE_KID} to the new kid; deploy;
 *   <li>after one access-token lifetime, drop the old key (or keep only its public part).
 * </ol>
 *
 * Keys come from {@code AUTH_JWT_KEYS} (inline JWK Set JSON, or PEM) or {@code AUTH_JWT_KEYS_FILE} (a
 * mounted secret holding either); when both are set the inline value wins. Without either, development mode generates an ephemeral key and warns loudly; production
 * mode refuses to start.
 */
public final class SigningKeys {

    private static final StructuredLog LOG = StructuredLog.of(SigningKeys.class);
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    private final EcSigningKey active;
    private final List<EcSigningKey> all;
    private final byte[] jwks;

    public SigningKeys(List<EcSigningKey> keys, String activeKid) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no signing keys configured");
        }
        Map<String, EcSigningKey> byKid = new LinkedHashMap<>();
        for (EcSigningKey key : keys) {
            if (byKid.put(key.kid(), key) != null) {
                throw new IllegalArgumentException("duplicate kid '" + key.kid() + "' in the JWK Set");
            }
        }
        EcSigningKey chosen;
        if (activeKid == null) {
            chosen = keys.stream()
                    .filter(EcSigningKey::canSign)
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the JWK Set has no private key to sign with"));
        } else {
            chosen = byKid.get(activeKid);
            if (chosen == null) {
                throw new IllegalArgumentException("AUTH_JWT_ACTIVE_KID '" + activeKid + "' is not in the JWK Set");
            }
            if (!chosen.canSign()) {
                throw new IllegalArgumentException("the active key '" + activeKid + "' has no private part ('d')");
            }
        }
        this.active = chosen;
        this.all = List.copyOf(keys);
        List<Map<String, Object>> published = new ArrayList<>();
        for (EcSigningKey key : keys) {
            published.add(key.publicJwk());
        }
        this.jwks = Json.write(Map.of("keys", published));
    }

    /** Loads the key ring the settings describe (see the class comment). */
    public static SigningKeys load(AuthSettings settings) {
        String json = settings.keysJson();
        String source = "AUTH_JWT_KEYS";
        if (json == null && settings.keysFile() != null) {
            source = "AUTH_JWT_KEYS_FILE";
            try {
                json = Files.readString(settings.keysFile(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read AUTH_JWT_KEYS_FILE " + settings.keysFile(), e);
            }
        }
        if (json == null) {
            if (!settings.development()) {
                throw new IllegalStateException("no signing key: set AUTH_JWT_KEYS or AUTH_JWT_KEYS_FILE "
                        + "(create one with 'java -jar auth-service.jar generate-key'), "
                        + "or TWIST_MODE=development for an ephemeral key");
            }
            EcSigningKey ephemeral = EcSigningKey.generate(newKid());
            LOG.warn(
                    "auth.signing_key.ephemeral",
                    "kid",
                    ephemeral.kid(),
                    "warning",
                    "DEVELOPMENT MODE: signing with an ephemeral key generated at start-up; every token dies with "
                            + "this process and no other replica can verify it. Never run production like this.");
            return new SigningKeys(List.of(ephemeral), null);
        }
        SigningKeys keys = new SigningKeys(parse(json), settings.activeKid());
        LOG.info(
                "auth.signing_keys.loaded",
                "activeKid",
                keys.active().kid(),
                "published",
                keys.all().size());
        return keys;
    }

    /**
     * Parses a JWK Set ({@code {"keys": [...]}}), a single JWK, or PEM private keys ({@link PemKeys}).
     * In a JWK Set, a key that cannot be used (not a JWK object, members missing or malformed, not a
     * P-256 point, a private part that does not match) is skipped with an error log naming its kid
     * and the reason: the behaviour every JWKS reader of the project shares
     * (docs/contracts/jwks.md). A set with no usable key left is refused, naming the reasons.
     */
    public static List<EcSigningKey> parse(String json) {
        if (PemKeys.looksLikePem(json)) {
            List<EcSigningKey> keys = new ArrayList<>();
            for (ECKey jwk : PemKeys.parse(json)) {
                keys.add(EcSigningKey.fromJwk(jwk.getKeyID(), jwk));
            }
            return keys;
        }
        Map<String, Object> document;
        try {
            document = Json.mapper().readValue(json, OBJECT);
        } catch (JsonProcessingException e) {
            // never echo the content: it holds private keys
            throw new IllegalArgumentException("the signing keys are not valid JSON (expected a JWK Set)");
        }
        if (!(document.get("keys") instanceof List<?> list)) {
            return List.of(EcSigningKey.fromJwk(document));
        }
        List<EcSigningKey> keys = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Object entry : list) {
            try {
                if (!(entry instanceof Map<?, ?> jwk)) {
                    throw new IllegalArgumentException("an entry of 'keys' is not a JWK object");
                }
                keys.add(EcSigningKey.fromJwk(cast(jwk)));
            } catch (IllegalArgumentException e) {
                skipped.add(e.getMessage());
                LOG.warn("auth.signing_key.skipped", "reason", e.getMessage());
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the JWK Set has no usable key: " + String.join("; ", skipped));
        }
        return keys;
    }

    /** A JWK Set with one new private key, as {@code generate-key} prints it. */
    public static String generateJwkSet(String kid) {
        EcSigningKey key = EcSigningKey.generate(kid == null || kid.isBlank() ? newKid() : kid);
        return new String(Json.write(Map.of("keys", List.of(key.privateJwk()))), StandardCharsets.UTF_8);
    }

    /** A readable, unique key id: {@code twist-20261125-3fa9c2}. */
    public static String newKid() {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        return "twist-" + LocalDate.now(ZoneOffset.UTC).toString().replace("-", "") + "-"
                + HexFormat.of().formatHex(random);
    }

    public EcSigningKey active() {
        return active;
    }

    public List<EcSigningKey> all() {
        return all;
    }

    /** The key with {@code kid}, if configured. */
    public EcSigningKey find(String kid) {
        for (EcSigningKey key : all) {
            if (key.kid().equals(kid)) {
                return key;
            }
        }
        return null;
    }

    /** The JWKS document bytes ({@code {"keys":[public JWKs]}}). */
    public byte[] jwks() {
        return jwks.clone();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
