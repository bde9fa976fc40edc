package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching on the tiny LM: batched decoding answers what one-at-a-time decoding answers. */
class ContinuousBatcherTest {

    static LoadedModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TestModels.tinyLm();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static CausalLm lm(KvCacheStore cache) {
        return new CausalLm(
                model, cache, SamplingParams.newBuilder().setMaxTokens(64).build(), "", Limits.defaults());
    }

    static SamplingParams greedy(int max, String... stop) {
        return SamplingParams.newBuilder()
                .setMaxTokens(max)
                .addAllStop(List.of(stop))
                .build();
    }

    /** One batched generation: its chunks, its end, and what its sink does on each chunk. */
    static final class Run {
        final List<String> chunks = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<CausalLm.Completion> done = new CompletableFuture<>();
        final AtomicBoolean cancel = new AtomicBoolean();
        volatile Runnable onChunk = () -> {};

        CausalLm.Completion await() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }
    }

    static Run submit(ContinuousBatcher b, CausalLm lm, String session, String prompt, SamplingParams p) {
        return submit(b, lm, session, prompt, p, r -> {});
    }

    /** {@code onChunk} is in place before the sequence is queued: the decode thread may start it at once. */
    static Run submit(
            ContinuousBatcher b,
            CausalLm lm,
            String session,
            String prompt,
            SamplingParams p,
            java.util.function.Consumer<Run> onChunk) {
        Run run = new Run();
        run.onChunk = () -> onChunk.accept(run);
        CausalLm.Sequence s = lm.open(
                session,
                prompt,
                p,
                (delta, i) -> {
                    run.chunks.add(delta);
                    run.onChunk.run();
                },
                run.cancel::get,
                0);
        b.submit(s, (c, error) -> {
            if (error != null) {
                run.done.completeExceptionally(error);
            } else {
                run.done.complete(c);
            }
        });
        return run;
    }

    static final List<String> PROMPTS = List.of("count : one two", "seven", "count : three four five six", "twelve");

    @Test
    void batchedGreedyDecodingEqualsOneAtATime() throws Exception {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        ContinuousBatcher b = new ContinuousBatcher(lm, 4, 2, sizes::add);
        CountDownLatch allSubmitted = new CountDownLatch(1);
        List<Run> runs = new ArrayList<>();
        for (String prompt : PROMPTS) {
            // the decode thread waits in the first sink until every sequence is queued: they share steps
            runs.add(
                    runs.isEmpty()
                            ? submit(b, lm, "", prompt, greedy(40), r -> await(allSubmitted))
                            : submit(b, lm, "", prompt, greedy(40)));
        }
        allSubmitted.countDown();
        for (int i = 0; i < PROMPTS.size(); i++) {
            CausalLm.Completion alone = lm.generate("", PROMPTS.get(i), greedy(40), (d, x) -> {}, () -> false, 0);
            CausalLm.Completion batched = runs.get(i).await();
            assertEquals(alone.text(), batched.text(), PROMPTS.get(i));
            assertEquals(alone.finishReason(), batched.finishReason());
            assertEquals(alone.completionTokens(), batched.completionTokens());
            assertEquals(batched.text(), String.join("", runs.get(i).chunks), "streamed as it decoded");
        }
        assertTrue(sizes.stream().anyMatch(n -> n == 4), "the four sessions decoded in one step: " + sizes);
        assertEquals(0, b.active());
    }

    @Test
    void sessionsJoinMidWayAndQueueBeyondTheBatchSize() throws Exception {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        ContinuousBatcher b = new ContinuousBatcher(lm, 2, 2, sizes::add);
        List<Run> later = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean joined = new AtomicBoolean();
        Run first = submit(b, lm, "", "one", greedy(40), self -> {
            if (self.chunks.size() == 4 && !joined.getAndSet(true)) {
                // submitted from the decode thread while "one" is mid-way: they join between two of its steps
                for (int i = 1; i < PROMPTS.size(); i++) {
                    later.add(submit(b, lm, "", PROMPTS.get(i), greedy(40)));
                }
            }
        });
        CausalLm.Completion alone = lm.generate("", "one", greedy(40), (d, x) -> {}, () -> false, 0);
        assertEquals(alone.text(), first.await().text());
        for (int i = 1; i < PROMPTS.size(); i++) {
            CausalLm.Completion expected = lm.generate("", PROMPTS.get(i), greedy(40), (d, x) -> {}, () -> false, 0);
            assertEquals(expected.text(), later.get(i - 1).await().text(), PROMPTS.get(i));
        }
        assertTrue(sizes.stream().allMatch(n -> n <= 2), "at most maxSessions per step: " + sizes);
        assertTrue(sizes.contains(2), "a joiner decoded beside \"one\": " + sizes);
    }

    @Test
    void cancellingOneSessionInTheBatchLeavesTheOthersCorrect() throws Exception {
        CausalLm lm = lm(new KvCacheStore(0, 0));
        ContinuousBatcher b = new ContinuousBatcher(lm, 4, 2, n -> {});
        CountDownLatch allSubmitted = new CountDownLatch(1);
        Run victim = submit(b, lm, "", "one", greedy(40), self -> {
            await(allSubmitted);
            if (self.chunks.size() == 3) {
                self.cancel.set(true);
            }
        });
        List<Run> others = new ArrayList<>();
        for (String prompt : List.of("count : one two", "seven", "twelve")) {
            others.add(submit(b, lm, "", prompt, greedy(40)));
        }
        allSubmitted.countDown();
        CausalLm.Completion cancelled = victim.await();
        assertEquals(FinishReason.FINISH_REASON_CANCELLED, cancelled.finishReason());
        assertTrue(cancelled.completionTokens() < 19, "stopped early: " + cancelled.completionTokens());
        List<String> prompts = List.of("count : one two", "seven", "twelve");
        for (int i = 0; i < prompts.size(); i++) {
            CausalLm.Completion expected = lm.generate("", prompts.get(i), greedy(40), (d, x) -> {}, () -> false, 0);
            CausalLm.Completion got = others.get(i).await();
            assertEquals(expected.text(), got.text(), prompts.get(i));
            assertEquals(FinishReason.FINISH_REASON_STOP, got.finishReason());
        }
    }

    @Test
    void stopSequencesSamplingDeadlinesAndTheSessionCacheStayPerSession() throws Exception {
        KvCacheStore cache = new KvCacheStore(8, 1 << 20);
        CausalLm lm = lm(cache);
        ContinuousBatcher b = new ContinuousBatcher(lm, 4, 2, n -> {});
        SamplingParams hot = SamplingParams.newBuilder()
                .setMaxTokens(8)
                .setTemperature(8f)
                .setTopP(0.95f)
                .setSeed(42)
                .build();
        String sampledAlone =
                lm.generate("", "one", hot, (d, i) -> {}, () -> false, 0).text();
        CountDownLatch allSubmitted = new CountDownLatch(1);
        Run stop = submit(b, lm, "", "one", greedy(20, "five"), r -> await(allSubmitted));
        Run sampled = submit(b, lm, "", "one", hot);
        Run turn1 = submit(b, lm, "alice", "count : one", greedy(2));
        CausalLm.Sequence expired = lm.open("", "one", greedy(20), (d, i) -> {}, () -> false, System.nanoTime() - 1);
        CompletableFuture<CausalLm.Completion> expiredDone = new CompletableFuture<>();
        b.submit(expired, (c, e) -> expiredDone.complete(c));
        allSubmitted.countDown();

        assertEquals("two three four ", stop.await().text());
        assertEquals(FinishReason.FINISH_REASON_STOP, stop.await().finishReason());
        assertFalse(String.join("", stop.chunks).contains("fi"), "no part of the stop sequence is streamed");
        assertEquals(sampledAlone, sampled.await().text(), "seeded sampling gives the same text in a batch");
        assertEquals(
                FinishReason.FINISH_REASON_DEADLINE,
                expiredDone.get(60, TimeUnit.SECONDS).finishReason());
        assertFalse(turn1.await().cacheHit());

        Run turn2 = submit(b, lm, "alice", "count : one two three four", greedy(2));
        CausalLm.Completion second = turn2.await();
        assertTrue(second.cacheHit(), "the batched turn left its KV in the session cache");
        assertEquals("five six", second.text());
    }

    static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
