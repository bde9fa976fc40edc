package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.Batching;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The queue's batch forming and the batcher's per-request handling, with a model that records its runs. */
class DynamicBatchingTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /** Answers "x" with "X"; refuses any run that contains "bad". */
    static final class RecordingModel implements EncoderBatcher.Model<String, String> {
        final List<List<String>> runs = new CopyOnWriteArrayList<>();

        @Override
        public List<String> run(List<String> inputs) {
            runs.add(List.copyOf(inputs));
            if (inputs.contains("bad")) {
                throw new IllegalStateException("ONNX Runtime failed: index out of range");
            }
            return inputs.stream().map(String::toUpperCase).toList();
        }
    }

    /** One request's outcome. */
    static final class Outcome implements EncoderBatcher.Request<String> {
        final boolean startable;
        final CountDownLatch done = new CountDownLatch(1);
        volatile String answer;
        volatile RuntimeException error;
        volatile boolean started;

        Outcome(boolean startable) {
            this.startable = startable;
        }

        @Override
        public boolean start() {
            started = startable;
            if (!startable) {
                done.countDown();
            }
            return startable;
        }

        @Override
        public void succeed(String output, long inferenceNanos) {
            answer = output;
            done.countDown();
        }

        @Override
        public void fail(RuntimeException e, long inferenceNanos) {
            error = e;
            done.countDown();
        }

        void await() throws InterruptedException {
            assertTrue(done.await(WAIT.toSeconds(), TimeUnit.SECONDS), "request answered");
        }
    }

    final RecordingModel model = new RecordingModel();
    final List<Integer> sizes = new CopyOnWriteArrayList<>();
    final EncoderBatcher<String, String> batcher = new EncoderBatcher<>(model, sizes::add);

    static Map<Priority, Integer> caps() {
        return PriorityWorkQueueTest.caps(16, 16, 16);
    }

    /** Occupies the queue's only thread until the returned latch is released. */
    static CountDownLatch hold(PriorityWorkQueue q) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        q.submit(Priority.PRIORITY_CRITICAL, () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
        return release;
    }

    Outcome submit(PriorityWorkQueue q, Priority p, String input, int bucket) {
        Outcome o = new Outcome(true);
        assertEquals(PriorityWorkQueue.Admission.ACCEPTED, q.submit(p, batcher.item(input, bucket, 1, o)));
        return o;
    }

    @Test
    void requestsQueuedTogetherRunAsOneBatchMostImportantFirst() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(), 1, 3, 0);
        CountDownLatch release = hold(q);
        Outcome sheddable = submit(q, Priority.PRIORITY_SHEDDABLE, "s", 4);
        Outcome standard = submit(q, Priority.PRIORITY_STANDARD, "a", 4);
        Outcome critical = submit(q, Priority.PRIORITY_CRITICAL, "c", 4);
        Outcome standard2 = submit(q, Priority.PRIORITY_STANDARD, "b", 4);
        release.countDown();
        for (Outcome o : List.of(sheddable, standard, critical, standard2)) {
            o.await();
        }
        assertEquals(List.of(List.of("c", "a", "b"), List.of("s")), model.runs);
        assertEquals("C", critical.answer);
        assertEquals("S", sheddable.answer);
        assertEquals(List.of(3, 1), sizes);
    }

    @Test
    void requestsInDifferentLengthBucketsRunInSeparateBatches() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(), 1, 8, 0);
        CountDownLatch release = hold(q);
        List<Outcome> all = new ArrayList<>();
        all.add(submit(q, Priority.PRIORITY_STANDARD, "short1", 4));
        all.add(submit(q, Priority.PRIORITY_STANDARD, "long1", 6));
        all.add(submit(q, Priority.PRIORITY_STANDARD, "short2", 4));
        all.add(submit(q, Priority.PRIORITY_STANDARD, "long2", 6));
        release.countDown();
        for (Outcome o : all) {
            o.await();
        }
        assertEquals(List.of(List.of("short1", "short2"), List.of("long1", "long2")), model.runs);
    }

    @Test
    void aRequestWhoseDeadlinePassedInsideABatchIsNotRunAndTheOthersAre() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(), 1, 8, 0);
        CountDownLatch release = hold(q);
        Outcome first = submit(q, Priority.PRIORITY_STANDARD, "a", 4);
        Outcome expired = new Outcome(false);
        q.submit(Priority.PRIORITY_STANDARD, batcher.item("late", 4, 1, expired));
        Outcome last = submit(q, Priority.PRIORITY_STANDARD, "b", 4);
        release.countDown();
        first.await();
        expired.await();
        last.await();
        assertEquals(List.of(List.of("a", "b")), model.runs);
        assertEquals("B", last.answer);
        assertEquals(null, expired.answer);
    }

    @Test
    void aBadInputInsideABatchFailsOnlyItsOwnRequest() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(), 1, 8, 0);
        CountDownLatch release = hold(q);
        Outcome good1 = submit(q, Priority.PRIORITY_STANDARD, "a", 4);
        Outcome bad = submit(q, Priority.PRIORITY_STANDARD, "bad", 4);
        Outcome good2 = submit(q, Priority.PRIORITY_STANDARD, "b", 4);
        release.countDown();
        for (Outcome o : List.of(good1, bad, good2)) {
            o.await();
        }
        assertEquals("A", good1.answer);
        assertEquals("B", good2.answer);
        assertTrue(bad.error.getMessage().contains("index out of range"), bad.error.getMessage());
        assertEquals(List.of(List.of("a", "bad", "b"), List.of("a"), List.of("bad"), List.of("b")), model.runs);
    }

    @Test
    void aLoneRequestRunsAtOnceWhateverTheMaximumWait() throws Exception {
        // an hour's maximum wait: were a lone request to wait for company, this would not finish
        PriorityWorkQueue q = new PriorityWorkQueue(caps(), 2, 8, TimeUnit.HOURS.toNanos(1));
        Outcome o = submit(q, Priority.PRIORITY_STANDARD, "alone", 4);
        o.await();
        assertEquals("ALONE", o.answer);
        Map<String, Outcome> more = new ConcurrentHashMap<>();
        for (String s : List.of("x", "y", "z")) {
            more.put(s, submit(q, Priority.PRIORITY_STANDARD, s, 4));
            await().atMost(WAIT).until(() -> more.get(s).answer != null);
        }
    }

    @Test
    void embedWithADynamicallyQuantisedModelIsUnbatchedUnlessAsked() {
        Batching unset = Batching.getDefaultInstance();
        assertTrue(BatchPolicy.resolve(unset, Task.TASK_CLASSIFY_INTENT, false).enabled());
        assertTrue(BatchPolicy.resolve(unset, Task.TASK_EMBED, true).enabled());
        assertEquals(BatchPolicy.OFF, BatchPolicy.resolve(unset, Task.TASK_EMBED, false));
        assertTrue(BatchPolicy.resolve(Batching.newBuilder().setEnabled(true).build(), Task.TASK_EMBED, false)
                .enabled());
        assertEquals(
                BatchPolicy.OFF,
                BatchPolicy.resolve(Batching.newBuilder().setEnabled(false).build(), Task.TASK_EXTRACT_SLOTS, true));
        assertTrue(BatchPolicy.resolve(unset, Task.TASK_GENERATE, false).enabled(), "continuous batching");
        assertEquals(
                BatchPolicy.OFF,
                BatchPolicy.resolve(Batching.newBuilder().setEnabled(false).build(), Task.TASK_GENERATE, true));
        BatchPolicy d = BatchPolicy.resolve(unset, Task.TASK_EXTRACT_SLOTS, true);
        assertEquals(BatchPolicy.DEFAULT_MAX_BATCH_SIZE, d.maxBatchSize());
        assertEquals(TimeUnit.MICROSECONDS.toNanos(BatchPolicy.DEFAULT_MAX_WAIT_MICROS), d.maxWaitNanos());
        assertEquals(
                0,
                BatchPolicy.resolve(Batching.newBuilder().setMaxWaitMicros(0).build(), Task.TASK_EMBED, true)
                        .maxWaitNanos());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> BatchPolicy.resolve(
                        Batching.newBuilder().setMaxBatchSize(-1).build(), Task.TASK_EMBED, true));
        assertTrue(e.getMessage().contains("batching.maxBatchSize"), e.getMessage());
    }
}
