package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.Priority;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PriorityWorkQueueTest {

    static Map<Priority, Integer> caps(int critical, int standard, int sheddable) {
        return Map.of(
                Priority.PRIORITY_CRITICAL,
                critical,
                Priority.PRIORITY_STANDARD,
                standard,
                Priority.PRIORITY_SHEDDABLE,
                sheddable);
    }

    @Test
    void fullQueueRefusesImmediatelyWhileOtherPrioritiesStillAdmit() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(2, 1, 1), 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        q.submit(Priority.PRIORITY_STANDARD, () -> {
            started.countDown();
            hold(release);
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertEquals(PriorityWorkQueue.Admission.ACCEPTED, q.submit(Priority.PRIORITY_SHEDDABLE, () -> {}));
        assertEquals(PriorityWorkQueue.Admission.QUEUE_FULL, q.submit(Priority.PRIORITY_SHEDDABLE, () -> {}));
        assertEquals(PriorityWorkQueue.Admission.ACCEPTED, q.submit(Priority.PRIORITY_CRITICAL, () -> {}));
        assertEquals(PriorityWorkQueue.Admission.ACCEPTED, q.submit(Priority.PRIORITY_UNSPECIFIED, () -> {}));
        assertEquals(
                PriorityWorkQueue.Admission.QUEUE_FULL,
                q.submit(Priority.PRIORITY_STANDARD, () -> {}),
                "unspecified counts as standard");
        release.countDown();
        assertTrue(q.drain(10, TimeUnit.SECONDS));
    }

    @Test
    void criticalWorkIsTakenBeforeSheddableWork() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(4, 4, 4), 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        q.submit(Priority.PRIORITY_STANDARD, () -> {
            started.countDown();
            hold(release);
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        q.submit(Priority.PRIORITY_SHEDDABLE, () -> order.add("sheddable"));
        q.submit(Priority.PRIORITY_STANDARD, () -> order.add("standard"));
        q.submit(Priority.PRIORITY_CRITICAL, () -> order.add("critical"));
        release.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> order.size() == 3);
        assertEquals(List.of("critical", "standard", "sheddable"), order);
    }

    @Test
    void drainFinishesQueuedWorkAndThenRefusesNewWork() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(8, 8, 8), 2);
        List<Integer> done = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            q.submit(Priority.PRIORITY_STANDARD, () -> done.add(n));
        }
        assertTrue(q.drain(10, TimeUnit.SECONDS));
        assertEquals(8, done.size());
        assertEquals(PriorityWorkQueue.Admission.CLOSED, q.submit(Priority.PRIORITY_CRITICAL, () -> {}));
    }

    @Test
    void workGoesToTheThreadThatFinishedLastSoItsCachesAreWarm() throws Exception {
        PriorityWorkQueue q = new PriorityWorkQueue(caps(4, 4, 4), 3);
        List<String> threads = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 20; i++) {
            await().atMost(10, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(2))
                    .until(() -> q.idleThreads() == 3);
            q.submit(
                    Priority.PRIORITY_STANDARD,
                    () -> threads.add(Thread.currentThread().getName()));
            int expected = i + 1;
            await().atMost(10, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(2))
                    .until(() -> threads.size() == expected);
        }
        assertEquals(
                1,
                threads.subList(1, threads.size()).stream().distinct().count(),
                "one request at a time always lands on the most recently active thread: " + threads);
        assertTrue(q.drain(10, TimeUnit.SECONDS));
    }

    private static void hold(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
