package finance.twist.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The repository's one file of tool and platform versions, {@code versions.env} (KEY=value lines),
 * found in the working directory or the nearest directory above it (Maven runs tests in the module
 * directory, below the repository root).
 */
final class VersionsEnv {

    private static volatile Map<String, String> values;

    private VersionsEnv() {}

    /** The value of {@code key}; fails when versions.env or the key is missing. */
    static String get(String key) {
        String value = load().get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("versions.env has no value for " + key);
        }
        return value;
    }

    private static Map<String, String> load() {
        Map<String, String> loaded = values;
        if (loaded != null) {
            return loaded;
        }
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("versions.env"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("versions.env not found above " + System.getProperty("user.dir"));
        }
        loaded = new HashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("versions.env"))) {
                int eq = line.indexOf('=');
                if (!line.isBlank() && !line.startsWith("#") && eq > 0) {
                    loaded.put(
                            line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        values = Map.copyOf(loaded);
        return values;
    }
}
