package dev.slm.fleet.worker.task;

import dev.slm.fleet.proto.v1.InputLimitExceeded;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.nio.charset.StandardCharsets;

/** Input limits, checked before any model work. */
public record Limits(int maxInputBytes, int maxInputTokens, int maxBatch, int maxNewTokens) {

    public static Limits defaults() {
        return new Limits(8192, 256, 64, 512);
    }

    public void checkText(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(field + " is empty");
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxInputBytes) {
            throw over(field, bytes, "bytes", "max-input-bytes", maxInputBytes);
        }
    }

    public TextTokenizer.Tokens checkTokens(String field, TextTokenizer.Tokens tokens) {
        if (tokens.length() > maxInputTokens) {
            throw over(field, tokens.length(), "tokens", "max-input-tokens", maxInputTokens);
        }
        return tokens;
    }

    private static InvalidInputException over(String field, int actual, String unit, String limit, int max) {
        return new InvalidInputException(
                field + " is " + actual + " " + unit + ", over the limit " + limit + "=" + max,
                InputLimitExceeded.newBuilder()
                        .setField(field)
                        .setLimit(limit)
                        .setMax(max)
                        .setActual(actual)
                        .build());
    }
}
