package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ChatMessage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    /** SmolLM2-135M-Instruct's chat_template, as its GGUF and tokenizer_config.json carry it. */
    static final String SMOLLM2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
            + "<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
            + "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
            + "{% endif %}";

    static ChatMessage msg(String role, String content) {
        return ChatMessage.newBuilder().setRole(role).setContent(content).build();
    }

    @Test
    void chatMlTemplateAddsItsOwnDefaultSystemTurnAndTheGenerationPrompt() {
        ChatTemplate t = ChatTemplate.parse(SMOLLM2);
        assertEquals(
                Optional.of("You are a helpful AI assistant named SmolLM, trained by Hugging Face"), t.defaultSystem());
        assertEquals(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(msg("user", "hi")), List.of(), ""));
    }

    @Test
    void factsGoIntoTheLastUserTurnOnlyAndTheIntentIsNotWrittenIntoTheTurns() {
        String out = ChatTemplate.parse(SMOLLM2)
                .render(
                        List.of(
                                msg("system", "You answer for a shop."),
                                msg("user", "hello"),
                                msg("assistant", "Hello! How can I help?"),
                                msg("user", "where is my order 12345")),
                        List.of("Order 12345 ships with DHL.", "It arrives on Friday."),
                        "order_status");
        assertEquals(
                "<|im_start|>system\nYou answer for a shop.<|im_end|>\n"
                        + "<|im_start|>user\nhello<|im_end|>\n"
                        + "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
                        + "<|im_start|>user\nFacts: Order 12345 ships with DHL. It arrives on Friday.\n"
                        + "Question: where is my order 12345\nAnswer using the facts.<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                out);
    }

    @Test
    void groundedAnswerWithoutASystemTurnGetsTheGroundedSystemTurnInsteadOfTheTemplateDefault() {
        String out =
                ChatTemplate.parse(SMOLLM2).render(List.of(msg("user", "when do you open")), List.of("Open 9-5."), "");
        assertTrue(out.startsWith("<|im_start|>system\n" + ChatTemplate.GROUNDED_SYSTEM + "<|im_end|>\n"), out);
        assertTrue(out.contains("Facts: Open 9-5.\nQuestion: when do you open\nAnswer using the facts."), out);
    }

    @Test
    void unknownRolesAndConversationsWithoutAUserTurnAreRejectedNamingTheField() {
        ChatTemplate t = ChatTemplate.parse(SMOLLM2);
        InvalidInputException e =
                assertThrows(InvalidInputException.class, () -> t.render(List.of(msg("bot", "x")), List.of(), ""));
        assertTrue(e.getMessage().contains("messages[0].role"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> t.render(List.of(msg("system", "x")), List.of(), ""));
        assertThrows(InvalidInputException.class, () -> t.render(List.of(), List.of(), ""));
    }

    @Test
    void templatesOfOtherFamiliesAreRefusedAtLoadWithTheirFirstCharacters() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ChatTemplate.parse("{{ bos_token }}[INST] {{ m }} [/INST]"));
        assertTrue(e.getMessage().contains("[INST]"), e.getMessage());
    }

    @Test
    void sentenceEndsAreFullStopsQuestionAndExclamationMarks() {
        assertTrue(CausalLm.endsSentence("It arrives on Friday. "));
        assertTrue(CausalLm.endsSentence("Really?"));
        assertEquals(false, CausalLm.endsSentence("It arrives on"));
    }
}
