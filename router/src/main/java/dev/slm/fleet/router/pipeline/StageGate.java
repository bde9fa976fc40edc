package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.PriorityClass;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded queue in front of one stage: a count of requests admitted and not yet finished. A priority class is
 * admitted while that count is under the class's queue limit; lower classes have lower limits, so they hit the
 * threshold first and leave room for the classes above. A class whose overload action is "queue" waits (ordered by
 * rank, then arrival) for a permit instead of being turned away.
 */
public final class StageGate {

    public enum Decision {
        ADMITTED,
        QUEUED,
        FALLBACK,
        SHED
    }

    private final String stage;
    private int inFlight;
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    private final AtomicLong sequence = new AtomicLong();

    public StageGate(String stage) {
        this.stage = stage;
    }

    public String stage() {
        return stage;
    }

    public synchronized int depth() {
        return inFlight + waiters.size();
    }

    /**
     * Tries to take a permit. ADMITTED: the permit is held. QUEUED: {@code permit} completes when one is granted (the
     * caller must cancel it to leave the queue). FALLBACK/SHED: nothing is held.
     */
    public synchronized Decision tryEnter(PriorityClass pc, CompletableFuture<Void> permit) {
        if (inFlight < pc.getQueueLimit() && waiters.isEmpty()) {
            inFlight++;
            return Decision.ADMITTED;
        }
        return switch (pc.getOnOverload()) {
            case "queue" -> {
                Waiter w = new Waiter(pc, sequence.incrementAndGet(), permit);
                waiters.add(w);
                permit.whenComplete((v, t) -> {
                    if (t != null) {
                        synchronized (this) {
                            waiters.remove(w);
                        }
                    }
                });
                yield Decision.QUEUED;
            }
            case "shed" -> Decision.SHED;
            default -> Decision.FALLBACK;
        };
    }

    public void leave() {
        Waiter next;
        synchronized (this) {
            inFlight--;
            next = waiters.peek();
            if (next == null || inFlight >= next.pc.getQueueLimit()) {
                return;
            }
            waiters.poll();
            inFlight++;
        }
        if (!next.permit.complete(null)) {
            leave(); // the waiter gave up in the meantime; pass the permit on
        }
    }

    private record Waiter(PriorityClass pc, long seq, CompletableFuture<Void> permit) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            int c = Integer.compare(pc.getRank(), o.pc.getRank());
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
