package finance.twist.common.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/**
 * The one JSON mapper of the system. Strict on input (unknown fields, trailing tokens, wrong types
 * and missing primitives are client errors) and plain on output (ISO-8601 instants, no nulls dropped).
 */
public final class Json {

    /** Largest body any JSON endpoint accepts; larger bodies get 413 before parsing. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            // strict JSON types and clean text for every request member (StrictScalars)
            .addModule(StrictScalars.module())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    static {
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxStringLength(MAX_BODY_BYTES)
                        .build());
    }

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serialises a value; failures here are programming errors, not client errors. */
    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialise " + value.getClass().getName(), e);
        }
    }

    /** Parses {@code bytes} into {@code type}, turning every malformation into a 400 problem. */
    public static <T> T parse(byte[] bytes, Class<T> type) {
        if (bytes.length == 0) {
            throw ProblemException.badRequest("A JSON request body is required.");
        }
        try {
            T value = MAPPER.readValue(bytes, type);
            if (value == null) {
                throw ProblemException.badRequest("The request body must be a JSON object, not null.");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw new ProblemException(Problem.badRequest("Unknown field '" + e.getPropertyName() + "'.")
                    .with("field", e.getPropertyName()));
        } catch (MismatchedInputException e) {
            String field = path(e);
            String detail = field.isEmpty()
                    ? "The request body does not have the expected shape."
                    : "Field '" + field + "' has the wrong type or format.";
            Problem problem = Problem.badRequest(detail);
            throw new ProblemException(field.isEmpty() ? problem : problem.with("field", field));
        } catch (JsonMappingException e) {
            // Constructor validation in records surfaces here with the cause's message.
            Throwable cause = e.getCause();
            if (cause instanceof ProblemException problem) {
                throw problem;
            }
            if (cause instanceof IllegalArgumentException) {
                throw ProblemException.badRequest(cause.getMessage());
            }
            throw ProblemException.badRequest("The request body does not have the expected shape.");
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("The request body is not valid JSON.");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads at most {@link #MAX_BODY_BYTES} from a body stream; more is a 413. */
    public static byte[] readLimited(InputStream in, int maxBytes) {
        try (in) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new ProblemException(Problem.payloadTooLarge("The request body exceeds " + maxBytes + " bytes."));
            }
            return bytes;
        } catch (IOException e) {
            throw ProblemException.badRequest("The request body could not be read.");
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
