package dev.slm.fleet.router.api;

import dev.slm.fleet.proto.v1.SamplingParams;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Validation of HTTP request bodies: UTF-8, JSON, the OpenAI chat-completions shape, size limits. */
final class ChatRequestParser {

    private ChatRequestParser() {}

    static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw RequestErrors.invalid(null, "invalid_utf8", "request body is not valid UTF-8");
        }
    }

    static JsonObject json(String body) {
        if (body.isBlank()) {
            throw RequestErrors.invalid(null, "invalid_json", "request body is empty; expected a JSON object");
        }
        Object parsed;
        try {
            parsed = io.vertx.core.json.Json.decodeValue(body);
        } catch (DecodeException e) {
            throw RequestErrors.invalid(
                    null, "invalid_json", "request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(parsed instanceof JsonObject obj)) {
            throw RequestErrors.invalid(null, "invalid_json", "request body must be a JSON object");
        }
        return obj;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    /** The text the pipeline answers: the last user message (string content or text parts). */
    static String lastUserMessage(JsonObject body, int maxChars) {
        Object messages = body.getValue("messages");
        if (!(messages instanceof JsonArray array) || array.isEmpty()) {
            throw RequestErrors.invalid("messages", "missing_messages", "'messages' must be a non-empty array");
        }
        String text = null;
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject m)) {
                throw RequestErrors.invalid(
                        "messages[" + i + "]",
                        "invalid_message",
                        "messages[" + i + "] must be an object with 'role' and 'content'");
            }
            Object role = m.getValue("role");
            if (!(role instanceof String r) || r.isBlank()) {
                throw RequestErrors.invalid(
                        "messages[" + i + "].role", "invalid_message", "messages[" + i + "].role must be a string");
            }
            if ("user".equals(r)) {
                text = content(m.getValue("content"), i);
            }
        }
        if (text == null) {
            throw RequestErrors.invalid(
                    "messages", "missing_user_message", "'messages' has no message with role 'user'");
        }
        return checkText(text, maxChars, "messages");
    }

    /** The turns before the last user message (validated by {@link #lastUserMessage}), for the generator. */
    static java.util.List<dev.slm.fleet.proto.v1.ChatMessage> history(JsonObject body) {
        JsonArray array = body.getJsonArray("messages");
        int last = -1;
        for (int i = 0; i < array.size(); i++) {
            if ("user".equals(array.getJsonObject(i).getString("role"))) last = i;
        }
        java.util.List<dev.slm.fleet.proto.v1.ChatMessage> out = new java.util.ArrayList<>();
        for (int i = 0; i < last; i++) {
            JsonObject m = array.getJsonObject(i);
            out.add(dev.slm.fleet.proto.v1.ChatMessage.newBuilder()
                    .setRole(m.getString("role"))
                    .setContent(content(m.getValue("content"), i))
                    .build());
        }
        return out;
    }

    static String checkText(String text, int maxChars, String param) {
        if (text.isBlank()) {
            throw RequestErrors.invalid(param, "empty_message", "the user message is empty");
        }
        if (text.length() > maxChars) {
            throw RequestErrors.invalid(
                    param,
                    "string_above_max_length",
                    "the user message has " + text.length() + " characters; the limit is " + maxChars
                            + " (slm.router.limits.max-message-chars)");
        }
        if (text.indexOf('\0') >= 0) {
            throw RequestErrors.invalid(param, "invalid_message", "the user message contains a NUL character");
        }
        return text;
    }

    private static String content(Object content, int i) {
        if (content instanceof String s) {
            return s;
        }
        if (content instanceof JsonArray parts) {
            StringBuilder sb = new StringBuilder();
            for (Object part : parts) {
                if (part instanceof JsonObject p
                        && "text".equals(p.getString("type"))
                        && p.getValue("text") instanceof String t) {
                    sb.append(sb.isEmpty() ? "" : "\n").append(t);
                } else {
                    throw RequestErrors.invalid(
                            "messages[" + i + "].content",
                            "unsupported_content",
                            "messages[" + i + "].content: only text parts are supported");
                }
            }
            return sb.toString();
        }
        throw RequestErrors.invalid(
                "messages[" + i + "].content",
                "invalid_message",
                "messages[" + i + "].content must be a string or an array of text parts");
    }

    static SamplingParams sampling(JsonObject body) {
        SamplingParams.Builder b = SamplingParams.newBuilder();
        Integer maxTokens = integer(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = integer(body, "max_tokens");
        }
        if (maxTokens != null) {
            if (maxTokens < 1) {
                throw RequestErrors.invalid("max_tokens", "invalid_value", "max_tokens must be at least 1");
            }
            b.setMaxTokens(maxTokens);
        }
        Double temperature = number(body, "temperature");
        if (temperature != null) {
            if (temperature < 0 || temperature > 2) {
                throw RequestErrors.invalid("temperature", "invalid_value", "temperature must be in [0, 2]");
            }
            b.setTemperature(temperature.floatValue());
        }
        Double topP = number(body, "top_p");
        if (topP != null) {
            b.setTopP(topP.floatValue());
        }
        Integer seed = integer(body, "seed");
        if (seed != null) {
            b.setSeed(seed);
        }
        Object stop = body.getValue("stop");
        if (stop instanceof String s) {
            b.addStop(s);
        } else if (stop instanceof JsonArray a) {
            a.forEach(o -> b.addStop(String.valueOf(o)));
        }
        return b.build();
    }

    private static Integer integer(JsonObject body, String key) {
        Object v = body.getValue(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        throw RequestErrors.invalid(key, "invalid_type", key + " must be an integer");
    }

    private static Double number(JsonObject body, String key) {
        Object v = body.getValue(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw RequestErrors.invalid(key, "invalid_type", key + " must be a number");
    }

    static boolean bool(JsonObject body, String key) {
        Object v = body.getValue(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw RequestErrors.invalid(key, "invalid_type", key + " must be a boolean");
    }

    static String string(JsonObject body, String key) {
        Object v = body.getValue(key);
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s;
        }
        throw RequestErrors.invalid(key, "invalid_type", key + " must be a string");
    }
}
