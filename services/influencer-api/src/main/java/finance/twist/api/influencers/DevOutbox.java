package finance.twist.api.influencers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Development email delivery: keeps the last {@value #CAPACITY} messages in memory, readable by an
 * admin through {@code GET /admin/dev/outbox}. Only wired when {@code twist.mode} is {@code development}.
 */
public final class DevOutbox implements EmailSender {

    static final int CAPACITY = 200;

    private final Deque<EmailMessage> messages = new ArrayDeque<>();

    @Override
    public synchronized void send(EmailMessage message) {
        if (messages.size() == CAPACITY) {
            messages.removeFirst();
        }
        messages.addLast(message);
    }

    /** Newest first. */
    public synchronized List<EmailMessage> messages() {
        List<EmailMessage> copy = new ArrayList<>(messages);
        java.util.Collections.reverse(copy);
        return copy;
    }
}
