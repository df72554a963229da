package finance.twist.api.influencers;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
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
 *
 * <p>E-mail claims (issue 21): a registration only <em>claims</em> its address. Pending claims never
 * reserve it: several users may claim one address, and the first to verify owns it (a partial
 * unique index on verified addresses, V13). Verifying removes the other pending claims' tokens, and
 * from then on registering or resending for that address answers 409 {@code email-taken}. A claim's
 * token expires after {@code influencers.verification.ttl} (24 h by default); a resend makes a new
 * one while nobody owns the address. So a third party who registers somebody else's address first
 * can neither block nor delay the owner. Refusals are {@link DomainException}s.
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
    /** Default lifetime of a claim's verification token ({@code influencers.verification.ttl}). */
    public static final Duration DEFAULT_CLAIM_TTL = Duration.ofHours(24);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Sql sql;
    private final EmailSender email;
    private final String appUrl;
    private final Clock clock;
    private final Duration claimTtl;
    private final java.util.concurrent.ConcurrentHashMap<UUID, UUID> influencerByUser =
            new java.util.concurrent.ConcurrentHashMap<>();

    public InfluencerService(Sql sql, EmailSender email, String appUrl, Clock clock, Duration claimTtl) {
        if (claimTtl.isNegative() || claimTtl.isZero()) {
            throw new IllegalArgumentException("influencers.verification.ttl must be positive");
        }
        this.sql = sql;
        this.email = email;
        this.appUrl = appUrl;
        this.clock = clock;
        this.claimTtl = claimTtl;
    }

    /**
     * A registration as answered.
     *
     * @param id the influencer
     * @param username as registered
     * @param email the claimed address, lower-cased
     * @param emailVerified always false at registration
     * @param verificationEmailSent whether the verification e-mail went out
     */
    public record Registered(
            String id, String username, String email, boolean emailVerified, boolean verificationEmailSent) {}

    /**
     * A verified claim.
     *
     * @param verified always true
     * @param username the influencer whose address it now is
     */
    public record Verified(boolean verified, String username) {}

    /** @param verificationEmailSent whether the new verification e-mail went out */
    public record Resent(boolean verificationEmailSent) {}

    /**
     * A pool as a public profile shows it (amounts in base units, decimal strings).
     *
     * @param totalStaked sum of positions
     * @param stakerCount positions above zero
     * @param revenueShareBps the stakers' share of commissions
     * @param minStake minimum per stake
     */
    public record PoolSummary(String totalStaked, int stakerCount, int revenueShareBps, String minStake) {}

    /**
     * A profile: never e-mail address, user or wallet. {@code pool} only on the public profile.
     *
     * @param id influencer id
     * @param username as registered
     * @param displayName shown name
     * @param bio may be null
     * @param avatar may be null
     * @param coverImage may be null
     * @param socialLinks by network
     * @param categories labels
     * @param tier BRONZE..PLATINUM
     * @param emailVerified whether the address is verified
     * @param createdAt RFC 3339
     * @param pool the influencer's pool (public profile only)
     */
    public record Profile(
            String id,
            String username,
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            Map<String, String> socialLinks,
            List<String> categories,
            String tier,
            boolean emailVerified,
            String createdAt,
            @JsonInclude(JsonInclude.Include.NON_NULL) PoolSummary pool) {

        Profile withPool(PoolSummary summary) {
            return new Profile(
                    id,
                    username,
                    displayName,
                    bio,
                    avatar,
                    coverImage,
                    socialLinks,
                    categories,
                    tier,
                    emailVerified,
                    createdAt,
                    summary);
        }
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
    public Registered register(UUID userId, RegisterRequest request, Runnable admit) {
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
            if (ownedByAnother(c, address, null)) {
                throw emailTaken();
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
        return new Registered(influencerId.toString(), username, address, false, sent);
    }

    /** Whether an influencer other than {@code self} has verified {@code address}. */
    private static boolean ownedByAnother(Connection c, String address, UUID self) {
        return Sql.queryOne(
                        c,
                        "SELECT 1 FROM influencers WHERE lower(email) = lower(?) AND email_verified_at IS NOT NULL"
                                + " AND id <> ?",
                        rs -> 1,
                        address,
                        self == null ? new UUID(0, 0) : self)
                .isPresent();
    }

    /**
     * Marks the e-mail of the token's influencer verified; the token works once, within the claim
     * TTL. The first claim of an address to be verified wins: the other pending claims' tokens are
     * deleted in the same transaction, and a claim verified after another one answers 409
     * {@code email-taken} (the partial unique index decides a race).
     */
    public Verified verifyEmail(String token) {
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
            record Owner(String username, String email) {}
            Owner owner;
            try {
                owner = Sql.queryOne(
                                c,
                                "UPDATE influencers SET email_verified_at = COALESCE(email_verified_at, now()),"
                                        + " updated_at = now() WHERE id = ? RETURNING username, email",
                                rs -> new Owner(rs.getString(1), rs.getString(2)),
                                influencerId)
                        .orElseThrow();
            } catch (DataAccessException e) {
                if (e.isUniqueViolation("influencers_email_verified_ci")) {
                    throw emailTaken();
                }
                throw e;
            }
            int removed = Sql.update(
                    c,
                    "DELETE FROM email_verifications v USING influencers i WHERE v.influencer_id = i.id"
                            + " AND lower(i.email) = lower(?) AND i.id <> ? AND v.used_at IS NULL",
                    owner.email(),
                    influencerId);
            if (removed > 0) {
                LOG.info("influencer.competing_claims_removed", "tokens", removed);
            }
            return new Verified(true, owner.username());
        });
    }

    /**
     * A new verification e-mail for the caller's influencer (409 {@code email-already-verified} when
     * verified, 409 {@code email-taken} when another influencer verified the address first).
     */
    public Resent resendVerification(UUID userId) {
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
                throw new DomainException(
                        Kind.CONFLICT,
                        "email-already-verified",
                        "Email already verified",
                        "The email is already verified.");
            }
            if (ownedByAnother(c, row.email(), row.id())) {
                throw emailTaken();
            }
            storeToken(c, row.id(), token);
            return new String[] {row.email(), row.username()};
        });
        return new Resent(sendVerification(target[0], target[1], token));
    }

    /** Public profile: never email, user or wallet. */
    public Optional<Profile> publicProfile(String username) {
        if (!USERNAME.matcher(username).matches()) {
            return Optional.empty();
        }
        return sql.read(c -> Sql.queryOne(
                c,
                "SELECT i.*, p.total_staked, p.staker_count, p.revenue_share_bps, p.min_stake"
                        + " FROM influencers i JOIN staking_pools p ON p.influencer_id = i.id"
                        + " WHERE lower(i.username) = lower(?)",
                rs -> profile(rs)
                        .withPool(new PoolSummary(
                                Amounts.format(rs.getLong("total_staked")),
                                rs.getInt("staker_count"),
                                rs.getInt("revenue_share_bps"),
                                Amounts.format(rs.getLong("min_stake")))),
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

    public Profile updateProfile(UUID userId, ProfileUpdate update) {
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
                throw new DomainException(
                        Kind.FORBIDDEN,
                        "email-not-verified",
                        "Email not verified",
                        "Verify your email before updating your profile.");
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

    private static Profile profile(ResultSet rs) throws SQLException {
        Map<String, String> socialLinks;
        try {
            socialLinks =
                    Json.mapper().readValue(rs.getString("social_links"), new TypeReference<Map<String, String>>() {});
        } catch (java.io.IOException e) {
            throw new IllegalStateException("social_links is not a JSON object", e);
        }
        return new Profile(
                rs.getObject("id", UUID.class).toString(),
                rs.getString("username"),
                rs.getString("display_name"),
                rs.getString("bio"),
                rs.getString("avatar"),
                rs.getString("cover_image"),
                socialLinks,
                List.of((String[]) rs.getArray("categories").getArray()),
                rs.getString("tier"),
                rs.getObject("email_verified_at") != null,
                rs.getObject("created_at", OffsetDateTime.class).toInstant().toString(),
                null);
    }

    private void storeToken(Connection c, UUID influencerId, String token) {
        Sql.update(
                c,
                "INSERT INTO email_verifications (token_hash, influencer_id, expires_at) VALUES (?, ?, ?)",
                sha256(token),
                influencerId,
                OffsetDateTime.ofInstant(clock.instant().plus(claimTtl), ZoneOffset.UTC));
    }

    private boolean sendVerification(String address, String username, String token) {
        String link = appUrl + "/verify-email?token=" + token;
        try {
            email.send(new EmailMessage(
                    address,
                    "Verify your TWIST influencer email",
                    "Hello " + username + ",\n\nConfirm your email within " + hours(claimTtl) + ":\n" + link
                            + "\n\nOr send this token to POST /influencers/verify-email: " + token + "\n",
                    Instant.now(clock)));
            return true;
        } catch (RuntimeException e) {
            LOG.error("email.verification_not_sent", e, "username", username);
            return false;
        }
    }

    private static String hours(Duration ttl) {
        long hours = ttl.toHours();
        if (hours >= 1 && ttl.equals(Duration.ofHours(hours))) {
            return hours == 1 ? "1 hour" : hours + " hours";
        }
        long minutes = Math.max(1, ttl.toMinutes());
        return minutes == 1 ? "1 minute" : minutes + " minutes";
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

    private static DomainException conflict(DataAccessException e) {
        if (e.isUniqueViolation("influencers_username_ci")) {
            return new DomainException(
                    Kind.CONFLICT, "username-taken", "Username already taken", "The username is already taken.");
        }
        if (e.isUniqueViolation("influencers_email_verified_ci")) {
            return emailTaken();
        }
        if (e.isUniqueViolation("influencers_one_per_user")) {
            return alreadyRegistered();
        }
        return new DomainException(
                Kind.INVALID, "invalid-request", "Invalid request", "The influencer could not be stored.");
    }

    private static DomainException emailTaken() {
        return new DomainException(
                Kind.CONFLICT, "email-taken", "Email already registered", "The email is already registered.");
    }

    private static DomainException alreadyRegistered() {
        return new DomainException(
                Kind.CONFLICT,
                "already-registered",
                "Already registered",
                "This wallet already has an influencer account.");
    }

    static DomainException notAnInfluencer() {
        return new DomainException(
                Kind.NOT_FOUND, "not-an-influencer", "Not an influencer", "You have not registered as an influencer.");
    }

    private static DomainException invalidToken() {
        return new DomainException(
                Kind.INVALID,
                "invalid-verification-token",
                "Invalid verification token",
                "The token is invalid, used or expired.");
    }

    private static DomainException invalid(String field, String detail) {
        return new DomainException(Kind.INVALID, "invalid-request", "Invalid request", detail, Map.of("field", field));
    }
}
