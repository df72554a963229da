// helm test: a complete wallet login against auth-service, then the token against influencer-api.
// Runs with the JDK's source launcher (`java JwtRoundTrip.java`), standard library only:
//   1. a fresh Ed25519 key pair = a throwaway Solana wallet (address = base58 public key)
//   2. POST /auth/nonce -> the Sign-In-With-Solana message
//   3. sign the message's UTF-8 bytes, POST /auth/verify -> accessToken (ES256, kid)
//   4. GET <protected path> on influencer-api with the token      -> must be 200
//   5. the same without a token                                      -> must be 401
//   6. the same token with its signature altered                    -> must be 401
//   7. the same claims with "alg":"none" and no signature           -> must be 401
// What it proves: auth-service issues tokens for a real signature, and influencer-api accepts
// them only through auth-service's JWKS (in-cluster URL, NetworkPolicy allows it) and rejects
// unsigned or forged ones. What it does not prove: expiry, refresh, key rotation (service tests).
// Environment: AUTH_URL, API_URL, PROTECTED_PATH (default /me).
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;

public class JwtRoundTrip {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ALPHABET =
            "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    public static void main(String[] args) throws Exception {
        String auth = env("AUTH_URL", null);
        String api = env("API_URL", null);
        String path = env("PROTECTED_PATH", "/me");

        KeyPair wallet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = wallet.getPublic().getEncoded(); // X.509 prefix + 32-byte key
        String address = base58(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        System.out.println("wallet " + address);

        String nonce = call("POST", auth + "/auth/nonce",
                "{\"walletAddress\":\"" + address + "\"}", null, 200);
        String message = jsonString(nonce, "message");

        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(wallet.getPrivate());
        signer.update(message.getBytes(StandardCharsets.UTF_8));
        String signature = base58(signer.sign());

        String verified = call("POST", auth + "/auth/verify",
                "{\"walletAddress\":\"" + address + "\",\"signature\":\"" + signature
                        + "\",\"message\":" + jsonQuote(message) + "}", null, 200);
        String token = jsonString(verified, "accessToken");
        String[] parts = token.split("\\.");
        check(parts.length == 3, "access token is not a JWS");
        String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
        check(header.contains("\"ES256\""), "token header does not name ES256: " + header);
        System.out.println("token issued, header " + header);

        call("GET", api + path, null, "Bearer " + token, 200);
        System.out.println("influencer-api accepted the token");
        call("GET", api + path, null, null, 401);
        char last = parts[2].charAt(parts[2].length() - 2);
        String forged = parts[0] + "." + parts[1] + "."
                + parts[2].substring(0, parts[2].length() - 2) + (last == 'A' ? 'B' : 'A')
                + parts[2].charAt(parts[2].length() - 1);
        call("GET", api + path, null, "Bearer " + forged, 401);
        String none = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        call("GET", api + path, null, "Bearer " + none, 401);
        System.out.println("influencer-api refused: no token, altered signature, alg none");
        System.out.println("PASS jwt round trip");
    }

    static String call(String method, String url, String body, String authorization, int want)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println(method + " " + url + " -> " + r.statusCode());
        check(r.statusCode() == want, "expected " + want + ", got " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            check(fallback != null, name + " is not set");
            return fallback;
        }
        return v;
    }

    static String b64url(String s) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String base58(byte[] input) {
        StringBuilder out = new StringBuilder();
        java.math.BigInteger n = new java.math.BigInteger(1, input);
        java.math.BigInteger base = java.math.BigInteger.valueOf(58);
        while (n.signum() > 0) {
            java.math.BigInteger[] qr = n.divideAndRemainder(base);
            out.append(ALPHABET.charAt(qr[1].intValue()));
            n = qr[0];
        }
        for (int i = 0; i < input.length && input[i] == 0; i++) {
            out.append('1');
        }
        return out.reverse().toString();
    }

    /** The string value of a top-level-or-nested "key" in a JSON text (first occurrence). */
    static String jsonString(String json, String key) {
        int k = json.indexOf("\"" + key + "\"");
        check(k >= 0, "no \"" + key + "\" in " + json);
        int i = json.indexOf(':', k) + 1;
        while (Character.isWhitespace(json.charAt(i))) {
            i++;
        }
        check(json.charAt(i) == '"', "\"" + key + "\" is not a string in " + json);
        StringBuilder s = new StringBuilder();
        for (i++; json.charAt(i) != '"'; i++) {
            char c = json.charAt(i);
            if (c == '\\') {
                char e = json.charAt(++i);
                switch (e) {
                    case 'n' -> s.append('\n');
                    case 'r' -> s.append('\r');
                    case 't' -> s.append('\t');
                    case 'b' -> s.append('\b');
                    case 'f' -> s.append('\f');
                    case 'u' -> {
                        s.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> s.append(e); // \" \\ \/
                }
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    static String jsonQuote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format("\\u%04x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
