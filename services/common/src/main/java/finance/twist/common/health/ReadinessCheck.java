package finance.twist.common.health;

/** One dependency that must answer before the service takes traffic. */
public interface ReadinessCheck {

    /** Short stable name shown in {@code /ready} ({@code postgres}, {@code redis}, ...). */
    String name();

    /** Returns normally when the dependency answers; throws with a short reason otherwise. */
    void check() throws Exception;
}
