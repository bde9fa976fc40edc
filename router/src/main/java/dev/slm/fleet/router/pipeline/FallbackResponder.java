package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.FallbackPolicy;
import dev.slm.fleet.proto.v1.Slot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule-based responder: a template per intent, with {@code {slot}} placeholders filled from the extracted slots.
 * {@code {slot|default}} gives the text used when the slot was not found.
 */
public final class FallbackResponder {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z0-9_.-]+)(?:\\|([^}]*))?}");
    static final String BUILTIN_DEFAULT = "Sorry, I am not sure I understood. Could you rephrase that?";

    private final Map<String, String> templates;
    private final String defaultTemplate;

    public FallbackResponder(FallbackPolicy policy, Map<String, String> intentTemplates) {
        Map<String, String> t = new HashMap<>(intentTemplates);
        t.putAll(policy.getTemplatesMap());
        this.templates = Map.copyOf(t);
        this.defaultTemplate = policy.getDefaultTemplate().isEmpty() ? BUILTIN_DEFAULT : policy.getDefaultTemplate();
    }

    /** The answer for an intent (null or unknown: the default template). */
    public String respond(String intent, List<Slot> slots) {
        String template = intent == null ? defaultTemplate : templates.getOrDefault(intent, defaultTemplate);
        Map<String, String> values = new HashMap<>();
        for (Slot s : slots) {
            values.putIfAbsent(s.getName(), s.getValue().isEmpty() ? s.getText() : s.getValue());
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

    public boolean hasTemplate(String intent) {
        return templates.containsKey(intent);
    }
}
