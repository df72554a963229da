package finance.twist.api.influencers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The SMTP client against a minimal SMTP server on loopback. */
class SmtpEmailSenderTest {

    @Test
    void sendsOneMessageWithEnvelopeAndDotStuffing() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<List<String>> received = CompletableFuture.supplyAsync(() -> serve(server, false));
            new SmtpEmailSender(
                            "127.0.0.1",
                            server.getLocalPort(),
                            Optional.empty(),
                            Optional.empty(),
                            "TWIST <no-reply@twist.test>")
                    .send(new EmailMessage(
                            "alice@example.com", "Verify", "line one\n.starts with a dot", Instant.now()));
            List<String> lines = received.get();
            assertThat(lines)
                    .contains("MAIL FROM:<no-reply@twist.test>", "RCPT TO:<alice@example.com>", "DATA", "QUIT");
            assertThat(lines).contains("From: TWIST <no-reply@twist.test>", "Subject: Verify", "..starts with a dot");
        }
    }

    @Test
    void refusesToSendCredentialsWithoutStartTls() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture.supplyAsync(() -> serve(server, true));
            SmtpEmailSender sender = new SmtpEmailSender(
                    "127.0.0.1", server.getLocalPort(), Optional.of("user"), Optional.of("secret"), "a@b.test");
            assertThatThrownBy(() -> sender.send(new EmailMessage("x@example.com", "s", "t", Instant.now())))
                    .isInstanceOf(EmailSender.EmailException.class)
                    .hasMessageContaining("STARTTLS");
        }
    }

    @Test
    void refusesToSendAnyMailWithoutStartTlsWhenTlsIsRequired() throws Exception {
        // issue 21: without credentials the mail (a verification link, a bearer secret) would
        // otherwise travel in clear to a server that does not offer STARTTLS
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> serve(server, false));
            SmtpEmailSender sender = new SmtpEmailSender(
                    "127.0.0.1", server.getLocalPort(), Optional.empty(), Optional.empty(), "a@b.test", true);
            assertThatThrownBy(() -> sender.send(new EmailMessage("x@example.com", "s", "t", Instant.now())))
                    .isInstanceOf(EmailSender.EmailException.class)
                    .hasMessageContaining("STARTTLS");
            assertThat(seen.get(5, java.util.concurrent.TimeUnit.SECONDS))
                    .noneMatch(line -> line.startsWith("MAIL FROM"));
        }
    }

    private static List<String> serve(ServerSocket server, boolean stopAfterEhlo) {
        List<String> lines = new ArrayList<>();
        try (Socket socket = server.accept();
                BufferedReader in =
                        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = socket.getOutputStream()) {
            reply(out, "220 test ESMTP");
            boolean data = false;
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (data) {
                    if (line.equals(".")) {
                        data = false;
                        reply(out, "250 queued");
                    }
                    continue;
                }
                if (line.startsWith("EHLO")) {
                    reply(out, "250-test\r\n250 8BITMIME");
                    if (stopAfterEhlo) {
                        return lines;
                    }
                } else if (line.equals("DATA")) {
                    data = true;
                    reply(out, "354 go ahead");
                } else if (line.equals("QUIT")) {
                    reply(out, "221 bye");
                    return lines;
                } else {
                    reply(out, "250 ok");
                }
            }
        } catch (java.io.IOException e) {
            // the client closed first
        }
        return lines;
    }

    private static void reply(OutputStream out, String text) throws java.io.IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
