package dev.slm.fleet.router.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.PriorityClass;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class StageGateTest {

    static final PriorityClass CRITICAL = PriorityClass.newBuilder()
            .setName("critical")
            .setRank(0)
            .setQueueLimit(3)
            .setOnOverload("queue")
            .build();
    static final PriorityClass STANDARD = PriorityClass.newBuilder()
            .setName("standard")
            .setRank(1)
            .setQueueLimit(2)
            .setOnOverload("fallback")
            .build();
    static final PriorityClass SHEDDABLE = PriorityClass.newBuilder()
            .setName("sheddable")
            .setRank(2)
            .setQueueLimit(1)
            .setOnOverload("shed")
            .build();

    @Test
    void lowerClassesHitTheirThresholdFirstWhileCriticalKeepsItsPlace() {
        StageGate gate = new StageGate("generate");
        assertEquals(StageGate.Decision.ADMITTED, gate.tryEnter(SHEDDABLE, new CompletableFuture<>()));
        assertEquals(StageGate.Decision.SHED, gate.tryEnter(SHEDDABLE, new CompletableFuture<>()));
        assertEquals(StageGate.Decision.ADMITTED, gate.tryEnter(STANDARD, new CompletableFuture<>()));
        assertEquals(StageGate.Decision.FALLBACK, gate.tryEnter(STANDARD, new CompletableFuture<>()));
        assertEquals(StageGate.Decision.ADMITTED, gate.tryEnter(CRITICAL, new CompletableFuture<>()));
        CompletableFuture<Void> waiting = new CompletableFuture<>();
        assertEquals(StageGate.Decision.QUEUED, gate.tryEnter(CRITICAL, waiting));
        assertEquals(4, gate.depth());
        assertFalse(waiting.isDone());
        gate.leave();
        assertTrue(waiting.isDone(), "a released permit goes to the queued critical request");
    }

    @Test
    void aQueuedRequestThatGivesUpLeavesTheQueue() {
        StageGate gate = new StageGate("generate");
        for (int i = 0; i < 3; i++) {
            gate.tryEnter(CRITICAL, new CompletableFuture<>());
        }
        CompletableFuture<Void> gaveUp = new CompletableFuture<>();
        CompletableFuture<Void> next = new CompletableFuture<>();
        gate.tryEnter(CRITICAL, gaveUp);
        gate.tryEnter(CRITICAL, next);
        gaveUp.cancel(false);
        gate.leave();
        assertTrue(next.isDone());
        assertEquals(3, gate.depth());
    }
}
