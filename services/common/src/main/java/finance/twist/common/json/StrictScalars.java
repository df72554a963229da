package finance.twist.common.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * Strict JSON types for request bodies: a string member takes only a JSON string (never {@code
 * false} or {@code 5}) and only {@link FreeText clean} text; an integer member takes only a JSON
 * number with an integral value ({@code 5} or {@code 5.0}, as JSON Schema's {@code integer} does;
 * never {@code 5.5} or {@code "5"}); a boolean member takes only {@code true} or {@code false}.
 */
final class StrictScalars {

    private StrictScalars() {}

    static SimpleModule module() {
        SimpleModule module = new SimpleModule("twist-strict-scalars");
        module.addDeserializer(String.class, new Text());
        module.addDeserializer(Integer.class, new Whole<>(Integer.class, Integer.MIN_VALUE, Integer.MAX_VALUE) {
            @Override
            Integer of(long value) {
                return (int) value;
            }
        });
        module.addDeserializer(int.class, new Whole<>(int.class, Integer.MIN_VALUE, Integer.MAX_VALUE) {
            @Override
            Integer of(long value) {
                return (int) value;
            }
        });
        module.addDeserializer(Long.class, new Whole<>(Long.class, Long.MIN_VALUE, Long.MAX_VALUE) {
            @Override
            Long of(long value) {
                return value;
            }
        });
        module.addDeserializer(long.class, new Whole<>(long.class, Long.MIN_VALUE, Long.MAX_VALUE) {
            @Override
            Long of(long value) {
                return value;
            }
        });
        module.addDeserializer(Boolean.class, new Bool(Boolean.class));
        module.addDeserializer(boolean.class, new Bool(boolean.class));
        return module;
    }

    private static final class Text extends StdScalarDeserializer<String> {

        Text() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (String) ctxt.handleUnexpectedToken(String.class, p);
            }
            String text = p.getText();
            if (!FreeText.isClean(text)) {
                return (String) ctxt.handleWeirdStringValue(String.class, text, "control character");
            }
            return text;
        }
    }

    private abstract static class Whole<T> extends StdScalarDeserializer<T> {

        private final long min;
        private final long max;

        Whole(Class<?> type, long min, long max) {
            super(type);
            this.min = min;
            this.max = max;
        }

        abstract T of(long value);

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                BigDecimal value = p.getDecimalValue();
                try {
                    long whole = value.longValueExact();
                    if (whole >= min && whole <= max) {
                        return of(whole);
                    }
                } catch (ArithmeticException e) {
                    // a fraction, or out of range: below
                }
                return (T) ctxt.handleWeirdNumberValue(handledType(), value, "not a whole number in range");
            }
            return (T) ctxt.handleUnexpectedToken(handledType(), p);
        }
    }

    private static final class Bool extends StdScalarDeserializer<Boolean> {

        Bool(Class<?> type) {
            super(type);
        }

        @Override
        public Boolean deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return switch (p.currentToken()) {
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                default -> (Boolean) ctxt.handleUnexpectedToken(Boolean.class, p);
            };
        }
    }
}
