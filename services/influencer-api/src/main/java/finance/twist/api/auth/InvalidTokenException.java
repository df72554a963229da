package finance.twist.api.auth;

/** A token that must not be accepted; the message is for logs only, clients see a generic 401. */
public final class InvalidTokenException extends Exception {

    public InvalidTokenException(String reason) {
        super(reason, null, false, false);
    }
}
