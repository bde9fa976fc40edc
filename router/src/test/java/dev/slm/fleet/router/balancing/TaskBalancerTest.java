package dev.slm.fleet.router.balancing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskBalancerTest {

    private final EndpointRegistry registry = new EndpointRegistry(
            task -> task.equals("p2c") ? BalancingPolicy.POWER_OF_TWO : BalancingPolicy.LEAST_OUTSTANDING);

    @AfterEach
    void close() {
        registry.close();
    }

    private static RoutingTable table(String task, boolean affine, Map<String, Integer> weights) {
        TaskRoute.Builder r = TaskRoute.newBuilder().setTask(task).setSessionAffine(affine);
        weights.forEach(
                (a, w) -> r.addEndpoints(Endpoint.newBuilder().setAddress(a).setWeight(w)));
        return RoutingTable.newBuilder().addTasks(r).build();
    }

    @Test
    void leastOutstandingPicksTheEndpointWithFewestRequestsPerWeight() {
        registry.apply(table("lor", false, Map.of("127.0.0.1:1", 1, "127.0.0.2:1", 1)));
        TaskBalancer b = registry.balancer("lor");
        EndpointState first = b.pick(null, Set.of());
        first.begin();
        first.begin();
        EndpointState second = b.pick(null, Set.of());
        assertNotEquals(first.address(), second.address());
    }

    @Test
    void powerOfTwoSpreadsLoadInProportionToWeight() {
        registry.apply(table("p2c", false, Map.of("127.0.0.1:1", 3, "127.0.0.2:1", 1)));
        TaskBalancer b = registry.balancer("p2c");
        Map<String, Integer> counts = new HashMap<>();
        List<EndpointState> inFlight = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) {
            EndpointState e = b.pick(null, Set.of());
            e.begin();
            inFlight.add(e);
            counts.merge(e.address(), 1, Integer::sum);
        }
        double ratio = counts.get("127.0.0.1:1") / (double) counts.get("127.0.0.2:1");
        assertTrue(ratio > 2.0 && ratio < 4.5, "weight 3 vs 1 gave ratio " + ratio + " " + counts);
    }

    @Test
    void aSessionKeepsItsEndpointWhenOthersJoinAndMovesOnlyWhenItsEndpointLeaves() {
        registry.apply(table("gen", true, Map.of("127.0.0.1:1", 1, "127.0.0.2:1", 1)));
        Map<String, String> before = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            before.put("s" + i, registry.balancer("gen").pick("s" + i, Set.of()).address());
        }
        assertEquals(2, Set.copyOf(before.values()).size(), "sessions spread over both endpoints");
        registry.apply(table("gen", true, Map.of("127.0.0.1:1", 1, "127.0.0.2:1", 1, "127.0.0.3:1", 1)));
        for (var e : before.entrySet()) {
            assertEquals(
                    e.getValue(),
                    registry.balancer("gen").pick(e.getKey(), Set.of()).address(),
                    "session " + e.getKey() + " moved although its endpoint stayed");
        }
        registry.apply(table("gen", true, Map.of("127.0.0.2:1", 1, "127.0.0.3:1", 1)));
        for (var e : before.entrySet()) {
            String now = registry.balancer("gen").pick(e.getKey(), Set.of()).address();
            if (e.getValue().equals("127.0.0.2:1")) {
                assertEquals("127.0.0.2:1", now);
            } else {
                assertNotEquals("127.0.0.1:1", now);
            }
        }
    }

    @Test
    void anEndpointIsEjectedAfterConsecutiveFailuresAndReturnsAfterTheCoolOff() {
        registry.apply(table("lor", false, Map.of("127.0.0.1:1", 1, "127.0.0.2:1", 1)));
        HealthPolicy policy = new HealthPolicy(3, Duration.ofMillis(300));
        EndpointState bad = registry.balancer("lor").pick(null, Set.of());
        for (int i = 0; i < 2; i++) {
            bad.begin();
            assertFalse(bad.failed(policy));
        }
        bad.begin();
        assertTrue(bad.failed(policy));
        for (int i = 0; i < 20; i++) {
            assertNotEquals(
                    bad.address(), registry.balancer("lor").pick(null, Set.of()).address());
        }
        assertNull(registry.balancer("lor").pick(null, Set.of(other(bad))));
        await().atMost(Duration.ofSeconds(5)).until(() -> !bad.ejected());
    }

    private static String other(EndpointState s) {
        return s.address().equals("127.0.0.1:1") ? "127.0.0.2:1" : "127.0.0.1:1";
    }

    @Test
    void channelsAreReusedAcrossTablesAndClosedWhenTheirEndpointLeaves() {
        registry.apply(table("lor", false, Map.of("127.0.0.1:1", 1, "127.0.0.2:1", 1)));
        ManagedChannel ch = registry.balancer("lor").endpoints().stream()
                .filter(e -> e.address().equals("127.0.0.1:1"))
                .findFirst()
                .orElseThrow()
                .channel();
        registry.apply(table("lor", false, Map.of("127.0.0.1:1", 1)));
        assertEquals(ch, registry.balancer("lor").endpoints().get(0).channel());
        registry.apply(table("lor", false, Map.of("127.0.0.2:1", 1)));
        assertTrue(ch.isShutdown());
        assertEquals(Set.of("127.0.0.2:1"), registry.openChannels());
    }
}
