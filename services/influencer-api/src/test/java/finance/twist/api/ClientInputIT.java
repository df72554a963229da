package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, "No 500 from client input": each request below answered 500, hung, or answered
 * text/plain before; each is now a prompt problem+json 4xx.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientInputIT {

    private final ApiHarness api;
    private final String admin;

    ClientInputIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
        admin = api.adminToken();
    }

    @AfterAll
    void stop() {
        api.close();
    }

    /** One raw HTTP/1.1 exchange (HttpClient refuses to send most of these); the whole answer. */
    private String raw(String request) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", api.server.port()), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int read = in.read(buffer);
            return new String(buffer, 0, Math.max(read, 0), StandardCharsets.UTF_8);
        }
    }

    private static void problem(String answer, int status) {
        assertThat(answer).startsWith("HTTP/1.1 " + status);
        assertThat(answer.toLowerCase()).contains("content-type: application/problem+json");
        assertThat(answer).contains("\"status\":" + status);
    }

    @Test
    void transportErrorsAreProblemJson() throws Exception {
        problem(raw("GET /staking/search?query=" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
        problem(raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n"), 400);
    }

    @Test
    void negativeContentLengthIsAnsweredNotHung() throws Exception {
        long start = System.nanoTime();
        String answer = raw("POST /staking/search HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(answer).matches("(?s)HTTP/1.1 4\\d\\d .*");
        assertThat(answer.toLowerCase()).contains("application/problem+json");
    }

    @Test
    void malformedContentTypeIs415() {
        for (String type : new String[] {"application/json;", "json", ""}) {
            HttpResponse<String> response =
                    ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/admin/products"))
                            .header("Authorization", "Bearer " + admin)
                            .header("Content-Type", type)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"commissionBps\":1}"))
                            .build());
            assertThat(response.statusCode()).as(type).isEqualTo(415);
        }
    }

    @Test
    void nulAndUnboundedScaleInQueriesAre400() {
        String nul = URLEncoder.encode("a\u0000b", StandardCharsets.UTF_8);
        assertThat(api.get("/staking/search?query=" + nul, null).statusCode()).isEqualTo(400);
        assertThat(api.get("/staking/search?minApy=1E-99999", null).statusCode())
                .isEqualTo(400);
        assertThat(api.get("/admin/products/a%00b", admin).statusCode()).isEqualTo(404);
    }

    @Test
    void wrongJsonTypesAndControlCharactersInBodiesAre400() {
        String wallet = ApiHarness.newWallet();
        assertThat(api.post(
                                "/admin/ledger/credit",
                                admin,
                                "{\"wallet\":\"" + wallet + "\",\"amount\":\"1\",\"reason\":false}",
                                "Idempotency-Key",
                                "types-1")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post(
                                "/admin/ledger/credit",
                                admin,
                                "{\"wallet\":\"" + wallet + "\",\"amount\":\"1\",\"reason\":\"a\\u0000b\"}",
                                "Idempotency-Key",
                                "types-2")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post("/admin/products", admin, "{\"name\":\"n\\u0000\",\"commissionBps\":1}")
                        .statusCode())
                .isEqualTo(400);
    }
}
