package dev.slm.fleet.operator.routing;

import static dev.slm.fleet.operator.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutingTablesTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private final List<WorkerRoute> workers = List.of(
            new WorkerRoute("intent", Task.CLASSIFY_INTENT, false, 20),
            new WorkerRoute("slots", Task.EXTRACT_SLOTS, false, 20),
            new WorkerRoute("gen", Task.GENERATE, true, 500));
    private final Map<String, Node> nodes = Map.of(
            "c1",
            cpuNode("c1"),
            "c2",
            cpuNode("c2"),
            "g1",
            gpuNode("g1", 2),
            "down",
            node("down", false, Map.of(), Map.of()));

    @Test
    void podsStillRunningAnEarlierTaskOfTheirWorkerAreNotPublished() {
        // The worker "slots" was changed to extract-slots; one pod of the old template (classify-intent) is ready.
        List<Pod> pods = List.of(
                pod("slots-old", "slots", "classify-intent", "cpu", "c1", "127.0.0.31", true, T),
                pod("slots-new", "slots", "extract-slots", "cpu", "c2", "127.0.0.32", true, T));
        List<TaskRoute> routes = RoutingTables.routes(workers, pods, nodes);
        assertThat(routes.get(0).getEndpointsList()).isEmpty();
        assertThat(routes.get(1).getEndpointsList())
                .extracting(Endpoint::getPod)
                .containsExactly("slots-new");
    }

    @Test
    void listsOnlyReadyPodsOnReadyNodesPerTask() {
        List<Pod> pods = List.of(
                pod("intent-b", "intent", "classify-intent", "cpu", "c2", "127.0.0.12", true, T),
                pod("intent-a", "intent", "classify-intent", "cpu", "c1", "127.0.0.11", true, T),
                pod("intent-unready", "intent", "classify-intent", "cpu", "c1", "127.0.0.13", false, T),
                pod("intent-on-down-node", "intent", "classify-intent", "cpu", "down", "127.0.0.14", true, T),
                pod("intent-pending", "intent", "classify-intent", "cpu", null, null, false, T),
                pod("gen-0", "gen", "generate", "gpu", "g1", "127.0.0.21", true, T));
        List<TaskRoute> routes = RoutingTables.routes(workers, pods, nodes);
        assertThat(routes)
                .extracting(TaskRoute::getTask)
                .containsExactly("classify-intent", "extract-slots", "generate");
        TaskRoute intent = routes.get(0);
        assertThat(intent.getEndpointsList())
                .extracting(Endpoint::getAddress)
                .containsExactly("127.0.0.11:9000", "127.0.0.12:9000");
        assertThat(intent.getEndpoints(0).getNode()).isEqualTo("c1");
        assertThat(intent.getEndpoints(0).getHardwareClass()).isEqualTo("cpu");
        assertThat(intent.getEndpoints(0).getModelDigest()).isEqualTo(SHA);
        assertThat(intent.getEndpoints(0).getWeight()).isEqualTo(1);
        assertThat(intent.getLatencyBudgetMs()).isEqualTo(20);
        assertThat(routes.get(1).getEndpointsCount()).isZero();
        assertThat(routes.get(2).getSessionAffine()).isTrue();
        assertThat(routes.get(2).getTaskEnum()).isEqualTo(dev.slm.fleet.proto.v1.Task.TASK_GENERATE);
    }

    @Test
    void podsOfUnknownWorkersAndTerminatingPodsAreLeftOut() {
        Pod stranger = pod("x", "other", "classify-intent", "cpu", "c1", "127.0.0.30", true, T);
        Pod terminating = pod("intent-t", "intent", "classify-intent", "cpu", "c1", "127.0.0.31", true, T);
        terminating.getMetadata().setDeletionTimestamp(T.toString());
        List<TaskRoute> routes = RoutingTables.routes(workers, List.of(stranger, terminating), nodes);
        assertThat(routes).allSatisfy(r -> assertThat(r.getEndpointsCount()).isZero());
    }

    @Test
    void hashDependsOnContentNotOnInputOrder() {
        Pod a = pod("intent-a", "intent", "classify-intent", "cpu", "c1", "127.0.0.11", true, T);
        Pod b = pod("intent-b", "intent", "classify-intent", "cpu", "c2", "127.0.0.12", true, T);
        String h1 = RoutingTables.contentHash(RoutingTables.routes(workers, List.of(a, b), nodes));
        String h2 = RoutingTables.contentHash(
                RoutingTables.routes(List.of(workers.get(2), workers.get(1), workers.get(0)), List.of(b, a), nodes));
        String h3 = RoutingTables.contentHash(RoutingTables.routes(workers, List.of(a), nodes));
        assertThat(h1).isEqualTo(h2).hasSize(64).isNotEqualTo(h3);
    }

    @Test
    void versionStartsAtOneAndIsBumpedOnlyWhenTheContentChanges() {
        Pod a = pod("intent-a", "intent", "classify-intent", "cpu", "c1", "127.0.0.11", true, T);
        RoutingTable v1 =
                RoutingTables.next("chat", "ns", RoutingTables.routes(workers, List.of(a), nodes), Optional.empty());
        assertThat(v1.getVersion()).isEqualTo(1);
        RoutingTable same =
                RoutingTables.next("chat", "ns", RoutingTables.routes(workers, List.of(a), nodes), Optional.of(v1));
        assertThat(same.getVersion()).isEqualTo(1);
        RoutingTable v2 =
                RoutingTables.next("chat", "ns", RoutingTables.routes(workers, List.of(), nodes), Optional.of(v1));
        assertThat(v2.getVersion()).isEqualTo(2);
        assertThat(v2.getContentHash()).isNotEqualTo(v1.getContentHash());
    }

    @Test
    void jsonIsProto3JsonThatRoundTrips() {
        Pod a = pod("intent-a", "intent", "classify-intent", "cpu", "c1", "127.0.0.11", true, T);
        RoutingTable t =
                RoutingTables.next("chat", "ns", RoutingTables.routes(workers, List.of(a), nodes), Optional.empty());
        String json = RoutingTables.json(t);
        assertThat(json)
                .contains("\"contentHash\"")
                .contains("\"hardwareClass\": \"cpu\"")
                .contains("\"TASK_CLASSIFY_INTENT\"");
        assertThat(RoutingTables.parse(json)).contains(t);
        assertThat(RoutingTables.parse("not json")).isEmpty();
    }

    @Test
    void ipv6PodAddressesAreBracketed() {
        assertThat(RoutingTables.address("fd00::1", 9000)).isEqualTo("[fd00::1]:9000");
    }
}
