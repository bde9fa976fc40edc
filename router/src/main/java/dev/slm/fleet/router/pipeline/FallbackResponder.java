package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.FallbackPolicy;
import dev.slm.fleet.proto.v1.Slot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule-based responder: a template per intent, with {@code {slot}} placeholders filled from the extracted slots and
 * {@code {facts}} from the retrieved documents. {@code {name|default}} gives the text used when there is no value.
 * The default template answers a message the classifier did not understand, and nothing else: an outage without an
 * intent template is an error, not "I did not get that".
 */
public final class FallbackResponder {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z0-9_.-]+)(?:\\|([^}]*))?}");
    static final String BUILTIN_DEFAULT = "Sorry, I am not sure I understood. Could you rephrase that?";
    static final String FACTS = "facts";

    private final Map<String, String> templates;
    private final String defaultTemplate;

    public FallbackResponder(FallbackPolicy policy) {
        this.templates = Map.copyOf(policy.getTemplatesMap());
        this.defaultTemplate = policy.getDefaultTemplate().isEmpty() ? BUILTIN_DEFAULT : policy.getDefaultTemplate();
    }

    /** The intent's own answer, when it has a template. */
    public Optional<String> respond(String intent, List<Slot> slots, List<String> facts) {
        String template = intent == null ? null : templates.get(intent);
        return Optional.ofNullable(template).map(t -> fill(t, slots, facts));
    }

    /** The answer to a message the classifier did not understand. */
    public String unsure(List<Slot> slots) {
        return fill(defaultTemplate, slots, List.of());
    }

    static String fill(String template, List<Slot> slots, List<String> facts) {
        Map<String, String> values = new HashMap<>();
        for (Slot s : slots) {
            values.putIfAbsent(s.getName(), s.getValue().isEmpty() ? s.getText() : s.getValue());
        }
        if (!facts.isEmpty()) {
            values.put(FACTS, String.join(" ", facts));
        }
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                v = m.group(2) != null ? m.group(2) : "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString()
                .replaceAll("\\s{2,}", " ")
                .replaceAll("\\s+([.,!?])", "$1")
                .trim();
    }
}
