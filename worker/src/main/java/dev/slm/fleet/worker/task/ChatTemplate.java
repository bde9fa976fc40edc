package dev.slm.fleet.worker.task;

import dev.slm.fleet.proto.v1.ChatMessage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's chat template, read from its {@code chat_template.jinja} (or the {@code chat_template} of its
 * tokenizer_config.json). The worker does not run Jinja: it recognises the template's family and renders turns the
 * same way; ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}) is the family SmolLM2, Qwen and others use. The
 * template's own default system turn (added when the conversation has none) is taken from the template text.
 */
public record ChatTemplate(String turnStart, String turnEnd, String endToken, Optional<String> defaultSystem) {

    /**
     * The system turn of a grounded answer when the conversation brings none: with the template's own default
     * ("You are a helpful AI assistant named SmolLM…") SmolLM2-135M ignored the facts and made up a place; asked for
     * "one or two sentences" it ran on into the next fact (the booking policy after the opening hours) and past the
     * generate budget on two busy cores. docs/worker.md ("The prompt") has the variants measured.
     */
    public static final String GROUNDED_SYSTEM =
            "You are a helpful customer service assistant. Answer in one sentence.";

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final Pattern DEFAULT_SYSTEM =
            Pattern.compile("'<\\|im_start\\|>system(?:\n|\\\\n)(.*?)<\\|im_end\\|>", Pattern.DOTALL);

    public static ChatTemplate parse(String template) {
        if (template.contains("<|im_start|>") && template.contains("<|im_end|>")) {
            Matcher m = DEFAULT_SYSTEM.matcher(template);
            Optional<String> system = m.find() ? Optional.of(m.group(1)) : Optional.empty();
            return new ChatTemplate("<|im_start|>", "<|im_end|>", "<|im_end|>", system);
        }
        throw new IllegalArgumentException("chat template is not one the worker renders (supported: ChatML, "
                + "<|im_start|>role ... <|im_end|>); template starts with: "
                + template.substring(0, Math.min(80, template.length())));
    }

    /**
     * The prompt for the next assistant turn. Facts go into the last user turn ("Facts: ... Question: ... Answer
     * using the facts."); the intent, when given, into the system turn.
     */
    public String render(List<ChatMessage> messages, List<String> facts, String intent) {
        if (messages.isEmpty()) {
            throw new InvalidInputException("messages is empty: a chat request needs at least one user turn");
        }
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) {
            String role = messages.get(i).getRole();
            if (!ROLES.contains(role)) {
                throw new InvalidInputException(
                        "messages[" + i + "].role is '" + role + "'; use system, user or assistant");
            }
            if (role.equals("user")) {
                lastUser = i;
            }
        }
        if (lastUser < 0) {
            throw new InvalidInputException("messages has no user turn");
        }
        StringBuilder out = new StringBuilder();
        boolean hasSystem = messages.get(0).getRole().equals("system");
        Optional<String> system = facts.isEmpty() ? defaultSystem : Optional.of(GROUNDED_SYSTEM);
        if (!hasSystem && system.isPresent()) {
            turn(out, "system", withIntent(system.orElse(""), intent));
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String content = m.getContent();
            if (i == 0 && hasSystem) {
                content = withIntent(content, intent);
            } else if (i == lastUser && !facts.isEmpty()) {
                content = grounded(content, facts);
            }
            turn(out, m.getRole(), content);
        }
        return out.append(turnStart).append("assistant\n").toString();
    }

    static String grounded(String question, List<String> facts) {
        return "Facts: " + String.join(" ", facts) + "\nQuestion: " + question + "\nAnswer using the facts.";
    }

    /**
     * The intent is not written into the turns: SmolLM2-135M echoed a sentence naming it ("The customer's request
     * …") instead of answering; the facts retrieved for it carry what the answer needs.
     */
    private static String withIntent(String system, String intent) {
        return system;
    }

    private void turn(StringBuilder out, String role, String content) {
        out.append(turnStart)
                .append(role)
                .append('\n')
                .append(content)
                .append(turnEnd)
                .append('\n');
    }
}
