package finance.twist.api.influencers;

/** Delivers emails: {@link SmtpEmailSender} in production, {@link DevOutbox} in development. */
public interface EmailSender {

    /** Sends {@code message}; throws {@link EmailException} when it could not be handed over. */
    void send(EmailMessage message);

    /** Delivery failed; the message carries no credentials. */
    final class EmailException extends RuntimeException {

        public EmailException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
