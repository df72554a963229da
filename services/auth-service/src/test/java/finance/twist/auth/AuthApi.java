package finance.twist.auth;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.json.Json;
import finance.twist.testing.HttpProbe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** The auth-service HTTP API as a test client over a real socket. */
final class AuthApi {

    private final String base;

    AuthApi(String base) {
        this.base = base;
    }

    String base() {
        return base;
    }

    HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        return HttpProbe.send(request.build());
    }

    HttpResponse<String> post(String path, Map<String, ?> body, String... headers) {
        return post(path, new String(Json.write(body), java.nio.charset.StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> nonce(String wallet, String... headers) {
        return post("/auth/nonce", Map.of("walletAddress", wallet), headers);
    }

    /** Requests a nonce and returns its JSON, asserting 200. */
    JsonNode nonceOk(TestWallet wallet) {
        HttpResponse<String> res = nonce(wallet.address());
        if (res.statusCode() != 200) {
            throw new AssertionError("nonce failed: " + res.statusCode() + " " + res.body());
        }
        return json(res);
    }

    HttpResponse<String> verify(String wallet, String signature, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("walletAddress", wallet);
        body.put("signature", signature);
        if (message != null) {
            body.put("message", message);
        }
        return post("/auth/verify", body);
    }

    /** A complete login; returns the token response JSON. */
    JsonNode login(TestWallet wallet) {
        String message = nonceOk(wallet).get("message").asText();
        HttpResponse<String> res = verify(wallet.address(), wallet.signBase58(message), message);
        if (res.statusCode() != 200) {
            throw new AssertionError("verify failed: " + res.statusCode() + " " + res.body());
        }
        return json(res);
    }

    HttpResponse<String> refresh(String refreshToken) {
        return post("/auth/refresh", Map.of("refreshToken", refreshToken));
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        return HttpProbe.send(request.build());
    }

    static JsonNode json(HttpResponse<String> res) {
        try {
            return Json.mapper().readTree(res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
