package finance.twist.api.influencers;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.common.logging.StructuredLog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Influencer registration, email verification and profiles: the rules; the SQL is in
 * {@link InfluencerRepository}. The registering user's wallet comes from the token (the signed login
 * proved it); the influencer's staking pool and its reward pot are created in the same transaction
 * as the influencer. Methods with a {@code Connection c} run in the unit of work the caller
 * ({@code http/InfluencerHttpService}, {@code http/MeHttpService}) opened; input is checked into
 * records ({@link #registration}, {@link #profileChange}, {@link #checkToken}) before it opens, and
 * e-mail goes out ({@link #sendVerification}) after it committed.
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
    /** A new pool's stakers' share of commissions. */
    static final int DEFAULT_REVENUE_SHARE_BPS = 2000;

    private static final int MAX_CACHED = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EmailSender email;
    private final String appUrl;
    private final Clock clock;
    private final Duration claimTtl;
    private final ConcurrentHashMap<UUID, UUID> influencerByUser = new ConcurrentHashMap<>();

    public InfluencerService(EmailSender email, String appUrl, Clock clock, Duration claimTtl) {
        if (claimTtl.isNegative() || claimTtl.isZero()) {
            throw new IllegalArgumentException("influencers.verification.ttl must be positive");
        }
        this.email = email;
        this.appUrl = appUrl;
        this.clock = clock;
        this.claimTtl = claimTtl;
    }

    /**
     * A checked registration ({@link #registration}).
     *
     * @param username 3-30 of {@code [A-Za-z0-9_-]}, no restricted words
     * @param email the claimed address, trimmed and lower-cased
     * @param displayName 1-100 characters (the username when absent)
     * @param bio up to 500 characters, may be null
     */
    public record Registration(String username, String email, String displayName, String bio) {}

    /**
     * A claim of an address whose verification e-mail is to be sent once the unit of work that
     * stored it committed ({@link #sendVerification}). The token is secret: {@link #toString} omits
     * it.
     *
     * @param influencerId the claiming influencer
     * @param username its username
     * @param email the claimed address
     * @param token the verification token (stored only as SHA-256)
     */
    public record Claim(UUID influencerId, String username, String email, String token) {
        @Override
        public String toString() {
            return "Claim[influencerId=" + influencerId + ", username=" + username + "]";
        }
    }

    /**
     * A verified claim.
     *
     * @param username the influencer whose address it now is
     */
    public record Verified(String username) {}

    /**
     * A pool as a public profile shows it (base units).
     *
     * @param totalStaked sum of positions
     * @param stakerCount positions above zero
     * @param revenueShareBps the stakers' share of commissions
     * @param minStake minimum per stake
     */
    public record PoolSummary(long totalStaked, int stakerCount, int revenueShareBps, long minStake) {}

    /**
     * A profile: never e-mail address, user or wallet. {@code pool} only on the public profile.
     *
     * @param id influencer id
     * @param username as registered
     * @param displayName shown name
     * @param bio may be null
     * @param avatar may be null
     * @param coverImage may be null
     * @param socialLinks URL by network
     * @param categories labels
     * @param tier BRONZE..PLATINUM
     * @param emailVerified whether the address is verified
     * @param createdAt when registered
     * @param pool the influencer's pool (public profile only, else null)
     */
    public record Profile(
            UUID id,
            String username,
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            Map<String, String> socialLinks,
            List<String> categories,
            String tier,
            boolean emailVerified,
            Instant createdAt,
            PoolSummary pool) {}

    /**
     * A checked profile change ({@link #profileChange}); null members stay unchanged.
     *
     * @param displayName 1-100 characters
     * @param bio up to 500 characters
     * @param avatar http(s) URL
     * @param coverImage http(s) URL
     * @param categories up to 10 labels of 1-50 characters
     * @param socialLinks keys among twitter, instagram, youtube, tiktok, website; http(s) URLs
     */
    public record ProfileChange(
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            List<String> categories,
            Map<String, String> socialLinks) {}

    /** Checks a registration's members (400 {@code invalid-request} naming the field). */
    public Registration registration(
            String username, String email, String displayName, String bio, Boolean acceptTerms) {
        if (!Boolean.TRUE.equals(acceptTerms)) {
            throw invalid("acceptTerms", "You must accept the terms and conditions.");
        }
        String name = required("username", username);
        if (!USERNAME.matcher(name).matches()) {
            throw invalid("username", "Username must be 3-30 characters of letters, digits, '_' and '-'.");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (RESTRICTED.stream().anyMatch(lower::contains)) {
            throw invalid("username", "Username contains restricted words.");
        }
        String address = required("email", email).trim().toLowerCase(Locale.ROOT);
        if (address.length() > 254 || !EMAIL.matcher(address).matches()) {
            throw invalid("email", "Email must be a valid address.");
        }
        return new Registration(name, address, displayName == null ? name : displayName(displayName), bio(bio));
    }

    /**
     * Stores the caller's influencer, its pool and its claim's verification token in {@code c}.
     * Send the e-mail with {@link #sendVerification} after {@code c} committed.
     */
    public Claim register(Connection c, UUID userId, Registration registration) {
        if (InfluencerRepository.existsForUser(c, userId)) {
            throw alreadyRegistered();
        }
        if (InfluencerRepository.verifiedByAnother(c, registration.email(), null)) {
            throw emailTaken();
        }
        UUID id;
        try {
            id = InfluencerRepository.insert(
                    c,
                    userId,
                    registration.username(),
                    registration.email(),
                    registration.displayName(),
                    registration.bio());
        } catch (DataAccessException e) {
            throw conflict(e);
        }
        UUID poolId = UUID.randomUUID();
        long pot = LedgerService.poolRewardsForNewPool(c, poolId);
        InfluencerRepository.insertPool(c, poolId, id, pot, DEFAULT_REVENUE_SHARE_BPS, Amounts.ONE_TWIST);
        return newClaim(c, id, registration.username(), registration.email());
    }

    /** Checks a verification token's shape before any unit of work opens (400 when malformed). */
    public static String checkToken(String token) {
        if (token == null || token.isBlank() || token.length() > 128) {
            throw invalidToken();
        }
        return token;
    }

    /**
     * Marks the e-mail of the token's influencer verified; the token works once, within the claim
     * TTL. The first claim of an address to be verified wins: the other pending claims' tokens are
     * deleted in the same transaction, and a claim verified after another one answers 409
     * {@code email-taken} (the partial unique index decides a race).
     */
    public Verified verifyEmail(Connection c, String token) {
        UUID influencerId = InfluencerRepository.useVerification(c, sha256(checkToken(token)), clock.instant())
                .orElseThrow(InfluencerService::invalidToken);
        InfluencerRepository.Owner owner;
        try {
            owner = InfluencerRepository.markVerified(c, influencerId);
        } catch (DataAccessException e) {
            if (e.isUniqueViolation("influencers_email_verified_ci")) {
                throw emailTaken();
            }
            throw e;
        }
        int removed = InfluencerRepository.removeCompetingClaims(c, owner.email(), influencerId);
        if (removed > 0) {
            LOG.info("influencer.competing_claims_removed", "tokens", removed);
        }
        return new Verified(owner.username());
    }

    /**
     * A new claim token for the caller's influencer (409 {@code email-already-verified} when
     * verified, 409 {@code email-taken} when another influencer verified the address first). Send
     * it with {@link #sendVerification} after {@code c} committed.
     */
    public Claim renewClaim(Connection c, UUID userId) {
        InfluencerRepository.Claimant row =
                InfluencerRepository.lockOfUser(c, userId).orElseThrow(InfluencerService::notAnInfluencer);
        if (row.verified()) {
            throw new DomainException(
                    Kind.CONFLICT,
                    "email-already-verified",
                    "Email already verified",
                    "The email is already verified.");
        }
        if (InfluencerRepository.verifiedByAnother(c, row.email(), row.id())) {
            throw emailTaken();
        }
        return newClaim(c, row.id(), row.username(), row.email());
    }

    /** Whether {@code username} can name an influencer at all (else 404 without a read). */
    public static boolean isUsername(String username) {
        return username != null && USERNAME.matcher(username).matches();
    }

    /** Public profile with its pool: never email, user or wallet. */
    public Optional<Profile> publicProfile(Connection c, String username) {
        if (!isUsername(username)) {
            return Optional.empty();
        }
        return InfluencerRepository.publicProfile(c, username);
    }

    /**
     * The caller's own influencer id if it is cached: an influencer is never deleted or moved to
     * another user, so found ids are cached (bounded) by {@link #influencerIdOf}, and a hit needs no
     * unit of work. Absence is never cached.
     */
    public Optional<UUID> cachedInfluencerIdOf(UUID userId) {
        return Optional.ofNullable(influencerByUser.get(userId));
    }

    /** The caller's own influencer id, if they registered one; a found id is cached. */
    public Optional<UUID> influencerIdOf(Connection c, UUID userId) {
        Optional<UUID> found = InfluencerRepository.idOfUser(c, userId);
        found.ifPresent(id -> {
            if (influencerByUser.size() >= MAX_CACHED) {
                influencerByUser.clear();
            }
            influencerByUser.put(userId, id);
        });
        return found;
    }

    /** Checks a profile change's members (400 {@code invalid-request} naming the field). */
    public ProfileChange profileChange(
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            List<String> categories,
            Map<String, String> socialLinks) {
        return new ProfileChange(
                displayName == null ? null : displayName(displayName),
                bio(bio),
                url("avatar", avatar),
                url("coverImage", coverImage),
                categories(categories),
                socialLinks(socialLinks));
    }

    /** Applies {@code change} to the caller's influencer (403 until its e-mail is verified). */
    public Profile updateProfile(Connection c, UUID userId, ProfileChange change) {
        InfluencerRepository.Claimant row =
                InfluencerRepository.lockOfUser(c, userId).orElseThrow(InfluencerService::notAnInfluencer);
        if (!row.verified()) {
            throw new DomainException(
                    Kind.FORBIDDEN,
                    "email-not-verified",
                    "Email not verified",
                    "Verify your email before updating your profile.");
        }
        InfluencerRepository.updateProfile(c, row.id(), change);
        return InfluencerRepository.profile(c, row.id());
    }

    private Claim newClaim(Connection c, UUID influencerId, String username, String address) {
        String token = newToken();
        InfluencerRepository.insertVerification(
                c, sha256(token), influencerId, clock.instant().plus(claimTtl));
        return new Claim(influencerId, username, address, token);
    }

    /**
     * Sends the claim's verification e-mail; false (logged) when it could not be sent. Call it after
     * the unit of work that stored the claim committed, so a retried transaction sends nothing twice.
     */
    public boolean sendVerification(Claim claim) {
        String link = appUrl + "/verify-email?token=" + claim.token();
        try {
            email.send(new EmailMessage(
                    claim.email(),
                    "Verify your TWIST influencer email",
                    "Hello " + claim.username() + ",\n\nConfirm your email within " + hours(claimTtl) + ":\n" + link
                            + "\n\nOr send this token to POST /influencers/verify-email: " + claim.token() + "\n",
                    Instant.now(clock)));
            return true;
        } catch (RuntimeException e) {
            LOG.error("email.verification_not_sent", e, "username", claim.username());
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

    private static List<String> categories(List<String> values) {
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
        return List.copyOf(values);
    }

    private static Map<String, String> socialLinks(Map<String, String> links) {
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
        return links;
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
