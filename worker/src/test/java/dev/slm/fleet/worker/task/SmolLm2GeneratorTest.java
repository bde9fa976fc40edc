package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ChatMessage;
import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.model.TextTokenizer;
import dev.slm.fleet.worker.serving.TaskEngineFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real generator (SmolLM2-135M-Instruct, prepared by worker/scripts/prepare-models), greedy decoding. */
class SmolLm2GeneratorTest {

    static final List<String> ORDER_FACTS =
            List.of("Order 12345 was shipped on Monday with DHL and arrives on Friday.");
    static final List<String> HOURS_FACTS =
            List.of("We are open Monday to Friday from 11:00 to 22:00, Saturday and Sunday from 12:00 to 23:00.");

    static LoadedModel model;
    static CausalLm lm;

    @BeforeAll
    static void load() throws Exception {
        ModelSpec spec = TestModels.smollm2();
        model = ModelLoader.load(spec);
        lm = new CausalLm(
                model,
                new KvCacheStore(8, 256L << 20),
                SamplingParams.newBuilder().setMaxTokens(48).build(),
                "",
                Limits.defaults(),
                TaskEngineFactory.chatTemplate(spec));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ChatMessage user(String text) {
        return ChatMessage.newBuilder().setRole("user").setContent(text).build();
    }

    static CausalLm.Completion ask(String session, List<ChatMessage> turns, List<String> facts, List<String> chunks) {
        return lm.chat(
                session,
                turns,
                facts,
                "",
                SamplingParams.newBuilder().setMaxTokens(48).build(),
                (delta, i) -> chunks.add(delta),
                () -> false,
                0);
    }

    @Test
    void tokenizerIsTheModelsOwnDigitsOneByOneNoBosAndImEndIsId2() {
        TextTokenizer t = model.tokenizer();
        TextTokenizer.Tokens digits = t.encode(" 12345");
        assertArrayEquals(new String[] {"Ġ", "1", "2", "3", "4", "5"}, digits.tokens());
        TextTokenizer.Tokens hi = t.encode("hi");
        assertEquals(1, hi.length(), "no BOS added: " + List.of(hi.tokens()));
        TextTokenizer.Tokens end = t.encode("<|im_end|>", false);
        assertArrayEquals(new long[] {2}, end.ids());
    }

    @Test
    void orderQuestionIsAnsweredWithTheCarrierOrEtaFromTheFactsInSeveralChunks() {
        List<String> chunks = new ArrayList<>();
        CausalLm.Completion c = ask("order", List.of(user("where is my order 12345")), ORDER_FACTS, chunks);
        assertTrue(c.text().contains("DHL") || c.text().contains("Friday"), c.text());
        assertEquals(FinishReason.FINISH_REASON_STOP, c.finishReason(), c.text());
        assertTrue(chunks.size() > 3, "streamed in several chunks: " + chunks);
        assertEquals(c.text(), String.join("", chunks));
    }

    @Test
    void openingHoursQuestionGetsTheHours() {
        CausalLm.Completion c = ask("hours", List.of(user("when do you open")), HOURS_FACTS, new ArrayList<>());
        assertTrue(c.text().contains("11:00") || c.text().contains("12:00"), c.text());
    }

    @Test
    void secondTurnOfASessionReusesTheKvCacheOfTheFirst() {
        List<ChatMessage> turns = new ArrayList<>(List.of(user("hello")));
        CausalLm.Completion first = ask("two-turns", turns, List.of(), new ArrayList<>());
        assertFalse(first.cacheHit());
        turns.add(ChatMessage.newBuilder()
                .setRole("assistant")
                .setContent(first.text())
                .build());
        turns.add(user("where is my order 12345"));
        CausalLm.Completion second = ask("two-turns", turns, ORDER_FACTS, new ArrayList<>());
        assertTrue(second.cacheHit(), "second turn reuses the first turn's cache");
    }

    @Test
    void aContinuousBatchAnswersWhatOneAtATimeAndTheArrayCopyLoopAnswer() throws Exception {
        List<List<String>> facts = List.of(ORDER_FACTS, HOURS_FACTS, List.of());
        List<String> questions =
                List.of("where is my order 12345", "when do you open", "book a table for two tomorrow at 8");
        SamplingParams p = SamplingParams.newBuilder().setMaxTokens(16).build();
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            alone.add(lm.chat("", List.of(user(questions.get(i))), facts.get(i), "", p, (d, x) -> {}, () -> false, 0)
                    .text());
        }
        List<Integer> sizes = java.util.Collections.synchronizedList(new ArrayList<>());
        ContinuousBatcher b = new ContinuousBatcher(lm, 4, sizes::add);
        List<java.util.concurrent.CompletableFuture<CausalLm.Completion>> batched = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            var done = new java.util.concurrent.CompletableFuture<CausalLm.Completion>();
            b.submit(
                    lm.openChat("", List.of(user(questions.get(i))), facts.get(i), "", p, (d, x) -> {}, () -> false, 0),
                    (c, e) -> {
                        if (e != null) {
                            done.completeExceptionally(e);
                        } else {
                            done.complete(c);
                        }
                    });
            batched.add(done);
        }
        for (int i = 0; i < questions.size(); i++) {
            assertEquals(
                    alone.get(i),
                    batched.get(i).get(5, java.util.concurrent.TimeUnit.MINUTES).text(),
                    questions.get(i));
        }
        assertTrue(sizes.stream().anyMatch(n -> n > 1), "sessions shared decode steps: " + sizes);

        String prompt = lm.chatTemplate().orElseThrow().render(List.of(user(questions.get(0))), ORDER_FACTS, "");
        long[] ids = model.tokenizer().encode(prompt, false).ids();
        long imEnd = model.tokenizer().encode("<|im_end|>", false).ids()[0];
        long endOfText = model.tokenizer().encode("<|endoftext|>", false).ids()[0];
        List<Long> reference = ArrayCopyDecoder.greedy(lm, model, ids, 16, imEnd, endOfText);
        assertEquals(
                model.tokenizer()
                        .decode(reference.stream().mapToLong(Long::longValue).toArray()),
                lm.generate("", prompt, p, (d, x) -> {}, () -> false, 0).text(),
                "the KV cache kept in ONNX Runtime decodes what copying it through Java arrays did");
    }
}
