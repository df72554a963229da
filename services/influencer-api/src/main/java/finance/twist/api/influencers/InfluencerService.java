package finance.twist.api.influencers;

import com.fasterxml.jackson.core.type.TypeReference;
import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.json.Json;
import finance.twist.common.logging.StructuredLog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Influencer registration, email verification and profiles. The registering user's wallet comes
 * from the token (the signed login proved it); the influencer's staking pool and its reward pot are
 * created in the same transaction as the influencer.
 */
public final class InfluencerService {

    private static final StructuredLog LOG = StructuredLog.of(InfluencerService.class);

    static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{3,30}");
    static final Pattern EMAIL = Pattern.compile(
            "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
    static final Pattern SOCIAL_URL = Pattern.compile("https?://(www\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+(/[^\\s]*)?");
    static final Pattern HTTP_URL = Pattern.compile("https?://[^\\s]{1,490}");
    static final List<String> RESTRICTED = List.of("admin", "administrator", "root", "system", "twist", "official");
    static final Set<String> SOCIAL_KEYS = Set.of("twitter", "instagram", "youtube", "tiktok", "website");
    static final Duration TOKEN_LIFETIME = Duration.ofHours(24);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Sql sql;
    private final EmailSender email;
    private final String appUrl;
    private final Clock clock;
    private final java.util.concurrent.ConcurrentHashMap<UUID, UUID> influencerByUser =
            new java.util.concurrent.ConcurrentHashMap<>();

    public InfluencerService(Sql sql, EmailSender email, String appUrl, Clock clock) {
        this.sql = sql;
        this.email = email;
        this.appUrl = appUrl;
        this.clock = clock;
    }

    /**
     * {@code POST /influencers/register} body; the wallet and user are never part of it.
     *
     * @param username 3-30 of {@code [A-Za-z0-9_-]}, no restricted words
     * @param email contact address (verified by email)
     * @param displayName optional, 1-100 characters
     * @param bio optional, up to 500 characters
     * @param acceptTerms must be true
     */
    public record RegisterRequest(String username, String email, String displayName, String bio, Boolean acceptTerms) {}

    /**
     * {@code PUT /influencers/me/profile} body; absent fields stay unchanged.
     *
     * @param displayName 1-100 characters
     * @param bio up to 500 characters
     * @param avatar http(s) URL
     * @param coverImage http(s) URL
     * @param categories up to 10 labels of 1-50 characters
     * @param socialLinks keys among twitter, instagram, youtube, tiktok, website; http(s) URLs
     */
    public record ProfileUpdate(
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            List<String> categories,
            Map<String, String> socialLinks) {}

    /**
     * Registers the caller's influencer and its pool; {@code admit} runs after validation and
     * before anything is written (rate limits).
     */
    public Map<String, Object> register(UUID userId, RegisterRequest request, Runnable admit) {
        if (!Boolean.TRUE.equals(request.acceptTerms())) {
            throw invalid("acceptTerms", "You must accept the terms and conditions.");
        }
        String username = required("username", request.username());
        if (!USERNAME.matcher(username).matches()) {
            throw invalid("username", "Username must be 3-30 characters of letters, digits, '_' and '-'.");
        }
        String lower = username.toLowerCase(Locale.ROOT);
        if (RESTRICTED.stream().anyMatch(lower::contains)) {
            throw invalid("username", "Username contains restricted words.");
        }
        String address = required("email", request.email()).trim().toLowerCase(Locale.ROOT);
        if (address.length() > 254 || !EMAIL.matcher(address).matches()) {
            throw invalid("email", "Email must be a valid address.");
        }
        String displayName = request.displayName() == null ? username : displayName(request.displayName());
        String bio = bio(request.bio());
        admit.run();
        String token = newToken();
        UUID influencerId = sql.inTransaction(c -> {
            if (Sql.queryOne(c, "SELECT 1 FROM influencers WHERE user_id = ?", rs -> 1, userId)
                    .isPresent()) {
                throw alreadyRegistered();
            }
            UUID id;
            try {
                id = Sql.queryOne(
                                c,
                                "INSERT INTO influencers (user_id, username, email, display_name, bio)"
                                        + " VALUES (?, ?, ?, ?, ?) RETURNING id",
                                rs -> rs.getObject(1, UUID.class),
                                userId,
                                username,
                                address,
                                displayName,
                                bio)
                        .orElseThrow();
            } catch (DataAccessException e) {
                throw conflict(e);
            }
            UUID poolId = UUID.randomUUID();
            long pot = LedgerService.poolRewardsForNewPool(c, poolId);
            Sql.update(
                    c,
                    "INSERT INTO staking_pools (id, influencer_id, rewards_account_id, revenue_share_bps, min_stake)"
                            + " VALUES (?, ?, ?, 2000, ?)",
                    poolId,
                    id,
                    pot,
                    Amounts.ONE_TWIST);
            storeToken(c, id, token);
            return id;
        });
        boolean sent = sendVerification(address, username, token);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", influencerId.toString());
        body.put("username", username);
        body.put("email", address);
        body.put("emailVerified", false);
        body.put("verificationEmailSent", sent);
        return body;
    }

    /** Marks the email of the token's influencer verified; the token works once, for 24 hours. */
    public Map<String, Object> verifyEmail(String token) {
        if (token == null || token.isBlank() || token.length() > 128) {
            throw invalidToken();
        }
        byte[] hash = sha256(token);
        return sql.inTransaction(c -> {
            UUID influencerId = Sql.queryOne(
                            c,
                            "UPDATE email_verifications SET used_at = now() WHERE token_hash = ? AND used_at IS NULL"
                                    + " AND expires_at > ? RETURNING influencer_id",
                            rs -> rs.getObject(1, UUID.class),
                            hash,
                            OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                    .orElseThrow(InfluencerService::invalidToken);
            String username = Sql.queryOne(
                            c,
                            "UPDATE influencers SET email_verified_at = COALESCE(email_verified_at, now()),"
                                    + " updated_at = now() WHERE id = ? RETURNING username",
                            rs -> rs.getString(1),
                            influencerId)
                    .orElseThrow();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("verified", true);
            body.put("username", username);
            return body;
        });
    }

    /** A new verification email for the caller's influencer (409 when already verified). */
    public Map<String, Object> resendVerification(UUID userId) {
        String token = newToken();
        String[] target = sql.inTransaction(c -> {
            record Row(UUID id, String username, String email, boolean verified) {}
            Row row = Sql.queryOne(
                            c,
                            "SELECT id, username, email, email_verified_at IS NOT NULL FROM influencers WHERE user_id = ? FOR UPDATE",
                            rs -> new Row(
                                    rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getBoolean(4)),
                            userId)
                    .orElseThrow(InfluencerService::notAnInfluencer);
            if (row.verified()) {
                throw new ProblemException(Problem.conflict(
                        "email-already-verified", "Email already verified", "The email is already verified."));
            }
            storeToken(c, row.id(), token);
            return new String[] {row.email(), row.username()};
        });
        return Map.of("verificationEmailSent", sendVerification(target[0], target[1], token));
    }

    /** Public profile: never email, user or wallet. */
    public Optional<Map<String, Object>> publicProfile(String username) {
        if (!USERNAME.matcher(username).matches()) {
            return Optional.empty();
        }
        return sql.read(c -> Sql.queryOne(
                c,
                "SELECT i.*, p.total_staked, p.staker_count, p.revenue_share_bps, p.min_stake"
                        + " FROM influencers i JOIN staking_pools p ON p.influencer_id = i.id"
                        + " WHERE lower(i.username) = lower(?)",
                rs -> {
                    Map<String, Object> body = profile(rs);
                    Map<String, Object> pool = new LinkedHashMap<>();
                    pool.put("totalStaked", Amounts.format(rs.getLong("total_staked")));
                    pool.put("stakerCount", rs.getInt("staker_count"));
                    pool.put("revenueShareBps", rs.getInt("revenue_share_bps"));
                    pool.put("minStake", Amounts.format(rs.getLong("min_stake")));
                    body.put("pool", pool);
                    return body;
                },
                username));
    }

    /**
     * The caller's own influencer id, if they registered one. An influencer is never deleted or
     * moved to another user, so found ids are cached (bounded); absence is always asked again.
     */
    public Optional<UUID> influencerIdOf(UUID userId) {
        UUID cached = influencerByUser.get(userId);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<UUID> found = sql.read(c -> Sql.queryOne(
                c, "SELECT id FROM influencers WHERE user_id = ?", rs -> rs.getObject(1, UUID.class), userId));
        found.ifPresent(id -> {
            if (influencerByUser.size() >= 100_000) {
                influencerByUser.clear();
            }
            influencerByUser.put(userId, id);
        });
        return found;
    }

    public Map<String, Object> updateProfile(UUID userId, ProfileUpdate update) {
        String displayName = update.displayName() == null ? null : displayName(update.displayName());
        String bio = bio(update.bio());
        String avatar = url("avatar", update.avatar());
        String cover = url("coverImage", update.coverImage());
        String[] categories = categories(update.categories());
        String social = socialLinks(update.socialLinks());
        return sql.inTransaction(c -> {
            record Row(UUID id, boolean verified) {}
            Row row = Sql.queryOne(
                            c,
                            "SELECT id, email_verified_at IS NOT NULL FROM influencers WHERE user_id = ? FOR UPDATE",
                            rs -> new Row(rs.getObject(1, UUID.class), rs.getBoolean(2)),
                            userId)
                    .orElseThrow(InfluencerService::notAnInfluencer);
            if (!row.verified()) {
                throw new ProblemException(Problem.of(
                        403,
                        "email-not-verified",
                        "Email not verified",
                        "Verify your email before updating your profile."));
            }
            Sql.update(
                    c,
                    "UPDATE influencers SET display_name = COALESCE(?, display_name), bio = COALESCE(?, bio),"
                            + " avatar = COALESCE(?, avatar), cover_image = COALESCE(?, cover_image),"
                            + " categories = COALESCE(?, categories), social_links = COALESCE(?::jsonb, social_links),"
                            + " updated_at = now() WHERE id = ?",
                    displayName,
                    bio,
                    avatar,
                    cover,
                    categories == null ? null : c.createArrayOf("text", categories),
                    social,
                    row.id());
            return Sql.queryOne(c, "SELECT * FROM influencers WHERE id = ?", InfluencerService::profile, row.id())
                    .orElseThrow();
        });
    }

    private static Map<String, Object> profile(ResultSet rs) throws SQLException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", rs.getObject("id", UUID.class).toString());
        body.put("username", rs.getString("username"));
        body.put("displayName", rs.getString("display_name"));
        body.put("bio", rs.getString("bio"));
        body.put("avatar", rs.getString("avatar"));
        body.put("coverImage", rs.getString("cover_image"));
        try {
            body.put(
                    "socialLinks",
                    Json.mapper().readValue(rs.getString("social_links"), new TypeReference<Map<String, String>>() {}));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("social_links is not a JSON object", e);
        }
        body.put("categories", List.of((String[]) rs.getArray("categories").getArray()));
        body.put("tier", rs.getString("tier"));
        body.put("emailVerified", rs.getObject("email_verified_at") != null);
        body.put(
                "createdAt",
                rs.getObject("created_at", OffsetDateTime.class).toInstant().toString());
        return body;
    }

    private void storeToken(Connection c, UUID influencerId, String token) {
        Sql.update(
                c,
                "INSERT INTO email_verifications (token_hash, influencer_id, expires_at) VALUES (?, ?, ?)",
                sha256(token),
                influencerId,
                OffsetDateTime.ofInstant(clock.instant().plus(TOKEN_LIFETIME), ZoneOffset.UTC));
    }

    private boolean sendVerification(String address, String username, String token) {
        String link = appUrl + "/verify-email?token=" + token;
        try {
            email.send(new EmailMessage(
                    address,
                    "Verify your TWIST influencer email",
                    "Hello " + username + ",\n\nConfirm your email within 24 hours:\n" + link
                            + "\n\nOr send this token to POST /influencers/verify-email: " + token + "\n",
                    Instant.now(clock)));
            return true;
        } catch (RuntimeException e) {
            LOG.error("email.verification_not_sent", e, "username", username);
            return false;
        }
    }

    private static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String displayName(String value) {
        String trimmed = value.strip();
        if (trimmed.isEmpty() || trimmed.length() > 100) {
            throw invalid("displayName", "displayName must be 1-100 characters.");
        }
        return trimmed;
    }

    private static String bio(String value) {
        if (value != null && value.length() > 500) {
            throw invalid("bio", "bio must be at most 500 characters.");
        }
        return value;
    }

    private static String url(String field, String value) {
        if (value != null && (value.length() > 500 || !HTTP_URL.matcher(value).matches())) {
            throw invalid(field, field + " must be an http(s) URL of at most 500 characters.");
        }
        return value;
    }

    private static String[] categories(List<String> values) {
        if (values == null) {
            return null;
        }
        if (values.size() > 10) {
            throw invalid("categories", "At most 10 categories.");
        }
        for (String value : values) {
            if (value == null || value.isBlank() || value.length() > 50) {
                throw invalid("categories", "Each category must be 1-50 characters.");
            }
        }
        return values.toArray(String[]::new);
    }

    private static String socialLinks(Map<String, String> links) {
        if (links == null) {
            return null;
        }
        for (Map.Entry<String, String> link : links.entrySet()) {
            if (!SOCIAL_KEYS.contains(link.getKey())) {
                throw invalid(
                        "socialLinks", "Unknown social link '" + link.getKey() + "'; allowed: " + SOCIAL_KEYS + ".");
            }
            String value = link.getValue();
            if (value == null
                    || value.length() > 500
                    || !SOCIAL_URL.matcher(value).matches()) {
                throw invalid("socialLinks", "socialLinks." + link.getKey() + " must be an http(s) URL.");
            }
        }
        return new String(Json.write(links), StandardCharsets.UTF_8);
    }

    private static String required(String field, String value) {
        if (value == null || value.isBlank()) {
            throw invalid(field, "'" + field + "' is required.");
        }
        return value;
    }

    private static ProblemException conflict(DataAccessException e) {
        if (e.isUniqueViolation("influencers_username_ci")) {
            return new ProblemException(
                    Problem.conflict("username-taken", "Username already taken", "The username is already taken."));
        }
        if (e.isUniqueViolation("influencers_email_ci")) {
            return new ProblemException(
                    Problem.conflict("email-taken", "Email already registered", "The email is already registered."));
        }
        if (e.isUniqueViolation("influencers_one_per_user")) {
            return alreadyRegistered();
        }
        return new ProblemException(Problem.badRequest("The influencer could not be stored."));
    }

    private static ProblemException alreadyRegistered() {
        return new ProblemException(Problem.conflict(
                "already-registered", "Already registered", "This wallet already has an influencer account."));
    }

    static ProblemException notAnInfluencer() {
        return new ProblemException(
                Problem.of(404, "not-an-influencer", "Not an influencer", "You have not registered as an influencer."));
    }

    private static ProblemException invalidToken() {
        return new ProblemException(Problem.of(
                400,
                "invalid-verification-token",
                "Invalid verification token",
                "The token is invalid, used or expired."));
    }

    private static ProblemException invalid(String field, String detail) {
        return new ProblemException(Problem.badRequest(detail).with("field", field));
    }
}
