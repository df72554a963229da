package finance.twist.api.influencers;

import io.helidon.config.Config;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Minimal SMTP client on JDK sockets: EHLO, STARTTLS when the server offers it (required when a
 * username is set, so credentials never travel in clear), AUTH PLAIN, one message per connection.
 * Configured by {@code smtp.host}, {@code smtp.port} (587), {@code smtp.username}, {@code smtp.password}
 * and {@code smtp.from} (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM);
 * {@code smtp.tls.required} (SMTP_TLS_REQUIRED, default false, true in production values) refuses
 * to send any mail over a connection without STARTTLS.
 */
public final class SmtpEmailSender implements EmailSender {

    private static final int TIMEOUT_MILLIS = 10_000;

    private final String host;
    private final int port;
    private final Optional<String> username;
    private final Optional<String> password;
    private final String from;
    private final boolean requireTls;

    public SmtpEmailSender(String host, int port, Optional<String> username, Optional<String> password, String from) {
        this(host, port, username, password, from, false);
    }

    /**
     * @param requireTls refuse to send anything (not only credentials) unless the server offers
     *     STARTTLS: verification links are bearer secrets (issue 21; on in production values)
     */
    public SmtpEmailSender(
            String host,
            int port,
            Optional<String> username,
            Optional<String> password,
            String from,
            boolean requireTls) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.from = from;
        this.requireTls = requireTls;
    }

    /** Built from {@code smtp.*}; empty when {@code smtp.host} is not set. */
    public static Optional<SmtpEmailSender> from(Config smtp) {
        return smtp.get("host")
                .asString()
                .asOptional()
                .filter(h -> !h.isBlank())
                .map(host -> new SmtpEmailSender(
                        host,
                        smtp.get("port").asInt().orElse(587),
                        smtp.get("username").asString().asOptional().filter(s -> !s.isBlank()),
                        smtp.get("password").asString().asOptional().filter(s -> !s.isBlank()),
                        smtp.get("from").asString().orElse("no-reply@twist.finance"),
                        smtp.get("tls.required").asBoolean().orElse(false)));
    }

    @Override
    public void send(EmailMessage message) {
        if (message.to().contains("\r")
                || message.to().contains("\n")
                || message.subject().contains("\n")) {
            throw new EmailException("header injection refused", null);
        }
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            plain.setSoTimeout(TIMEOUT_MILLIS);
            Session session = new Session(plain);
            session.expect(220);
            String ehlo = session.command("EHLO twist-influencer-api", 250);
            if (ehlo.contains("STARTTLS")) {
                session.command("STARTTLS", 220);
                SSLSocket tls = (SSLSocket)
                        ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, host, port, true);
                var parameters = tls.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                tls.setSSLParameters(parameters);
                tls.startHandshake();
                session = new Session(tls);
                session.command("EHLO twist-influencer-api", 250);
            } else if (username.isPresent()) {
                throw new EmailException("SMTP server does not offer STARTTLS; refusing to send credentials", null);
            } else if (requireTls) {
                throw new EmailException("SMTP server does not offer STARTTLS and smtp.tls.required is set", null);
            }
            if (username.isPresent()) {
                String token = Base64.getEncoder()
                        .encodeToString(
                                ("\0" + username.get() + "\0" + password.orElse("")).getBytes(StandardCharsets.UTF_8));
                session.command("AUTH PLAIN " + token, 235);
            }
            session.command("MAIL FROM:<" + envelopeAddress(from) + ">", 250);
            session.command("RCPT TO:<" + message.to() + ">", 250, 251);
            session.command("DATA", 354);
            StringBuilder data = new StringBuilder()
                    .append("From: ")
                    .append(from)
                    .append("\r\n")
                    .append("To: ")
                    .append(message.to())
                    .append("\r\n")
                    .append("Subject: ")
                    .append(message.subject())
                    .append("\r\n")
                    .append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n")
                    .append("Content-Transfer-Encoding: 8bit\r\n\r\n");
            for (String line : message.text().split("\r?\n", -1)) {
                data.append(line.startsWith(".") ? "." + line : line).append("\r\n");
            }
            data.append('.');
            session.command(data.toString(), 250);
            session.command("QUIT", 221);
        } catch (IOException e) {
            throw new EmailException("SMTP delivery failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** {@code TWIST <no-reply@example.com>} → {@code no-reply@example.com}; a bare address stays as is. */
    static String envelopeAddress(String from) {
        int open = from.lastIndexOf('<');
        int close = from.lastIndexOf('>');
        return open >= 0 && close > open ? from.substring(open + 1, close).trim() : from.trim();
    }

    private static final class Session {

        private final BufferedReader in;
        private final OutputStream out;

        Session(Socket socket) throws IOException {
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        String command(String line, int... expected) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return expect(expected);
        }

        String expect(int... expected) throws IOException {
            StringBuilder reply = new StringBuilder();
            String line;
            do {
                line = in.readLine();
                if (line == null || line.length() < 3) {
                    throw new IOException("SMTP connection closed");
                }
                reply.append(line).append('\n');
            } while (line.length() > 3 && line.charAt(3) == '-');
            int code = Integer.parseInt(line.substring(0, 3));
            for (int ok : expected) {
                if (code == ok) {
                    return reply.toString();
                }
            }
            throw new IOException("unexpected SMTP reply " + code);
        }
    }
}
