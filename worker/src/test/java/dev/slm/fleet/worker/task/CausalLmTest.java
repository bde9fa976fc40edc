package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny LM (worker/scripts/make_test_models.py) counts: "one two" -> "three four ... twenty". */
class CausalLmTest {

    static LoadedModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TestModels.tinyLm();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    CausalLm lm(KvCacheStore cache) {
        return new CausalLm(
                model, cache, SamplingParams.newBuilder().setMaxTokens(64).build(), "", Limits.defaults());
    }

    static SamplingParams greedy(int max, String... stop) {
        return SamplingParams.newBuilder()
                .setMaxTokens(max)
                .addAllStop(List.of(stop))
                .build();
    }

    @Test
    void greedyDecodingStreamsTokensUntilEndOfSequence() {
        List<String> chunks = new ArrayList<>();
        CausalLm.Completion c = lm(new KvCacheStore(4, 1 << 20))
                .generate("s1", "count : one two", greedy(64), (delta, i) -> chunks.add(delta), () -> false, 0);
        assertEquals(
                "three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
                        + "eighteen nineteen twenty",
                c.text());
        assertEquals(FinishReason.FINISH_REASON_STOP, c.finishReason());
        assertEquals(18, c.completionTokens());
        assertEquals(4, c.promptTokens());
        assertTrue(chunks.size() >= 18, "streamed token by token: " + chunks);
        assertEquals(c.text(), String.join("", chunks));
    }

    @Test
    void maxTokensEndsWithLengthAndStopSequencesCutTheText() {
        CausalLm lm = lm(new KvCacheStore(4, 1 << 20));
        CausalLm.Completion length = lm.generate("", "one", greedy(3), (d, i) -> {}, () -> false, 0);
        assertEquals("two three four", length.text());
        assertEquals(FinishReason.FINISH_REASON_LENGTH, length.finishReason());

        List<String> chunks = new ArrayList<>();
        CausalLm.Completion stop = lm.generate("", "one", greedy(20, "five"), (d, i) -> chunks.add(d), () -> false, 0);
        assertEquals("two three four ", stop.text());
        assertEquals(FinishReason.FINISH_REASON_STOP, stop.finishReason());
        assertFalse(String.join("", chunks).contains("fi"), "no part of the stop sequence is streamed: " + chunks);
    }

    @Test
    void kvCacheGivesTheSameLogitsAsAFullRecomputation() throws Exception {
        CausalLm lm = lm(new KvCacheStore(4, 1 << 20));
        long[] ids = model.tokenizer().encode("count : one two three four").ids();
        CausalLm.StepResult full = lm.forward(new long[][] {ids}, new long[][] {ones(ids.length)}, new int[] {0}, null);
        CausalLm.StepResult part =
                lm.forward(new long[][] {java.util.Arrays.copyOf(ids, 3)}, new long[][] {ones(3)}, new int[] {0}, null);
        CausalLm.Kv kv = part.kv();
        float[] incremental = null;
        for (int i = 3; i < ids.length; i++) {
            CausalLm.StepResult next =
                    lm.forward(new long[][] {{ids[i]}}, new long[][] {ones(i + 1)}, new int[] {i}, kv);
            kv.close();
            kv = next.kv();
            incremental = next.logits()[0];
        }
        assertArrayEquals(full.logits()[0], incremental, 1e-4f);
        assertArrayEquals(Tensors.toFloats(full.kv().keys[0]), Tensors.toFloats(kv.keys[0]), 1e-5f);
        full.kv().close();
        kv.close();
    }

    static long[] ones(int n) {
        long[] m = new long[n];
        java.util.Arrays.fill(m, 1);
        return m;
    }

    @Test
    void keepingTheKvCacheInOnnxRuntimeDecodesWhatCopyingItThroughJavaArraysDid() throws Exception {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        long eos = model.tokenizer().encode("</s>", false).ids()[0];
        for (String prompt : List.of("count : one two", "seven", "count : three")) {
            List<Long> reference = ArrayCopyDecoder.greedy(
                    lm, model, model.tokenizer().encode(prompt).ids(), 30, eos);
            String expected = model.tokenizer()
                    .decode(reference.stream().mapToLong(Long::longValue).toArray());
            assertEquals(
                    expected,
                    lm.generate("", prompt, greedy(30), (d, i) -> {}, () -> false, 0)
                            .text());
        }
    }

    @Test
    void aSessionsCacheIsReusedWhenItsPromptExtendsTheLastOne() {
        KvCacheStore cache = new KvCacheStore(2, 1 << 20);
        CausalLm lm = lm(cache);
        CausalLm.Completion first = lm.generate("alice", "count : one", greedy(2), (d, i) -> {}, () -> false, 0);
        assertFalse(first.cacheHit());
        assertEquals(1, cache.size());
        CausalLm.Completion second =
                lm.generate("alice", "count : one two three four", greedy(2), (d, i) -> {}, () -> false, 0);
        assertTrue(second.cacheHit());
        assertEquals("five six", second.text());
        CausalLm.Completion other =
                lm.generate("bob", "count : one two three four", greedy(2), (d, i) -> {}, () -> false, 0);
        assertFalse(other.cacheHit());
        assertEquals(second.text(), other.text(), "cached and uncached decoding agree");
        CausalLm.Completion branch =
                lm.generate("alice", "count : one two eleven", greedy(2), (d, i) -> {}, () -> false, 0);
        assertTrue(branch.cacheHit(), "a diverging prompt reuses the common prefix");
        assertEquals("twelve thirteen", branch.text());
        lm.generate("carol", "one", greedy(1), (d, i) -> {}, () -> false, 0);
        assertEquals(2, cache.size(), "bounded to the last 2 sessions");
    }

    @Test
    void cacheIsBoundedInBytes() {
        KvCacheStore cache = new KvCacheStore(100, 4096);
        CausalLm lm = lm(cache);
        for (String s : List.of("a", "b", "c", "d", "e")) {
            lm.generate(s, "count : one two three", greedy(4), (d, i) -> {}, () -> false, 0);
        }
        assertTrue(cache.bytes() <= 4096, "bytes " + cache.bytes());
        assertTrue(cache.size() < 5);
    }

    @Test
    void topKOneIsGreedyAndSeededSamplingIsReproducible() {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        SamplingParams topK1 = SamplingParams.newBuilder()
                .setMaxTokens(5)
                .setTemperature(1.0f)
                .setTopK(1)
                .build();
        assertEquals(
                "two three four five six",
                lm.generate("", "one", topK1, (d, i) -> {}, () -> false, 0).text());
        SamplingParams hot = SamplingParams.newBuilder()
                .setMaxTokens(6)
                .setTemperature(8f)
                .setTopP(0.95f)
                .setSeed(42)
                .build();
        String a = lm.generate("", "one", hot, (d, i) -> {}, () -> false, 0).text();
        String b = lm.generate("", "one", hot, (d, i) -> {}, () -> false, 0).text();
        assertEquals(a, b);
        float[] logits = {0f, 5f, 4.9f, -3f};
        SamplingParams p =
                SamplingParams.newBuilder().setTemperature(1f).setTopP(0.5f).build();
        Random rng = new Random(1);
        for (int i = 0; i < 50; i++) {
            long t = CausalLm.sample(logits, p, rng);
            assertEquals(1, t, "top-p 0.5 keeps only the most likely token here");
        }
    }

    @Test
    void cancellationAndDeadlineStopDecoding() {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        assertEquals(
                FinishReason.FINISH_REASON_CANCELLED,
                lm.generate("", "one", greedy(10), (d, i) -> {}, () -> true, 0).finishReason());
        assertEquals(
                FinishReason.FINISH_REASON_DEADLINE,
                lm.generate("", "one", greedy(10), (d, i) -> {}, () -> false, System.nanoTime() - 1)
                        .finishReason());
    }

    @Test
    void badSamplingParametersAreInvalidInput() {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        assertThrows(
                InvalidInputException.class,
                () -> lm.generate(
                        "", "one", SamplingParams.newBuilder().setTopP(1.5f).build(), (d, i) -> {}, () -> false, 0));
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> lm.generate(
                        "",
                        "one",
                        SamplingParams.newBuilder().setMaxTokens(100_000).build(),
                        (d, i) -> {},
                        () -> false,
                        0));
        assertTrue(e.getMessage().contains("max-new-tokens"), e.getMessage());
    }
}
