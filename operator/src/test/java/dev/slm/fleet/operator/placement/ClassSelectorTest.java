package dev.slm.fleet.operator.placement;

import static dev.slm.fleet.operator.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassSelectorTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
    private static final Duration GRACE = Duration.ofSeconds(30);
    private final Map<String, HardwareClass> classes = HardwareClasses.of(new SlmClusterSpec());
    private final List<String> chain = ClassSelector.chain("gpu", List.of("cpu"));

    private ClassDecision decide(
            String current, Instant since, List<Pod> workerPods, List<Pod> bound, List<Node> nodes) {
        return ClassSelector.decide(
                new ClassSelector.Input(chain, current, since, 2, workerPods, bound, nodes, classes, GRACE, NOW));
    }

    private static Node notReadySince(Node node, Instant since) {
        node.getStatus().getConditions().get(0).setStatus("False");
        node.getStatus().getConditions().get(0).setLastTransitionTime(since.toString());
        return node;
    }

    @Test
    void aPodJustBoundToANodeNotYetInTheCacheIsNotLost() {
        Pod fresh = pod("g-0", "gen", "generate", "gpu", "new-node", "192.0.2.1", true, NOW);
        fresh.getStatus()
                .getConditions()
                .add(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("True")
                        .withLastTransitionTime(NOW.minusSeconds(1).toString())
                        .build());
        ClassSelector.NodeLoss loss = ClassSelector.nodeLoss(List.of(fresh), List.of(), GRACE, NOW);
        assertThat(loss.lost()).isEmpty();
        assertThat(loss.recheckAfter()).contains(GRACE.minusSeconds(1));
    }

    @Test
    void podsOnReadyNodesAreNeverLost() {
        Pod running = pod("g-0", "gen", "generate", "gpu", "g", "192.0.2.1", true, NOW);
        ClassSelector.NodeLoss loss = ClassSelector.nodeLoss(List.of(running), List.of(gpuNode("g", 1)), GRACE, NOW);
        assertThat(loss.lost()).isEmpty();
        assertThat(loss.recheckAfter()).isEmpty();
        ClassDecision d = decide(
                "gpu",
                NOW.minusSeconds(600),
                List.of(running),
                List.of(running),
                List.of(gpuNode("g", 1), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("gpu");
    }

    @Test
    void aGpuNodeNotReadyPastTheGracePeriodMovesThePoolWhenNoOtherGpuIsFree() {
        Pod running = pod("g-0", "gen", "generate", "gpu", "g", "192.0.2.1", true, NOW);
        Node lost = notReadySince(gpuNode("g", 1), NOW.minus(GRACE));
        ClassDecision d =
                decide("gpu", NOW.minusSeconds(600), List.of(running), List.of(running), List.of(lost, cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.changed()).isTrue();
        assertThat(d.reason()).contains("[g]").contains("lost");
    }

    @Test
    void aGpuNodeNotReadyWithinTheGracePeriodKeepsTheClassAndAsksForARecheckAtItsEnd() {
        Pod running = pod("g-0", "gen", "generate", "gpu", "g", "192.0.2.1", true, NOW);
        Node flapping = notReadySince(gpuNode("g", 1), NOW.minusSeconds(10));
        ClassDecision d = decide(
                "gpu", NOW.minusSeconds(600), List.of(running), List.of(running), List.of(flapping, cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("gpu");
        assertThat(d.recheckAfter()).contains(Duration.ofSeconds(20));
    }

    @Test
    void aDeletedGpuNodeIsLostAtOnceButAnotherFreeGpuNodeKeepsTheClass() {
        Pod orphan = pod("g-0", "gen", "generate", "gpu", "gone", "192.0.2.1", true, NOW);
        assertThat(ClassSelector.nodeLoss(List.of(orphan), List.of(gpuNode("g2", 1)), GRACE, NOW)
                        .lost())
                .containsExactly(orphan);
        ClassDecision d = decide(
                "gpu",
                NOW.minusSeconds(600),
                List.of(orphan),
                List.of(orphan),
                List.of(gpuNode("g2", 1), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("gpu");
        assertThat(d.changed()).isFalse();
    }

    @Test
    void staysOnPreferredClassWhilePodsArePendingWithinTheGracePeriod() {
        Pod pending = pod("g-1", "gen", "generate", "gpu", null, null, false, NOW.minusSeconds(10));
        ClassDecision d = decide(
                "gpu", NOW.minusSeconds(100), List.of(pending), List.of(), List.of(gpuNode("g", 0), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("gpu");
        assertThat(d.changed()).isFalse();
        assertThat(d.recheckAfter()).contains(Duration.ofSeconds(20));
    }

    @Test
    void movesToTheNextFallbackClassWhenPodsStayUnschedulablePastTheGracePeriod() {
        Pod pending = pod("g-1", "gen", "generate", "gpu", null, null, false, NOW.minusSeconds(31));
        ClassDecision d = decide(
                "gpu", NOW.minusSeconds(100), List.of(pending), List.of(), List.of(gpuNode("g", 0), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.changed()).isTrue();
        assertThat(d.reason()).contains("unschedulable").contains("cpu");
    }

    @Test
    void pendingPodsOfAnOldClassDoNotTriggerAnotherFallback() {
        Pod oldPending = pod("g-1", "gen", "generate", "gpu", null, null, false, NOW.minusSeconds(300));
        ClassDecision d = decide(
                "cpu", NOW.minusSeconds(5), List.of(oldPending), List.of(), List.of(gpuNode("g", 0), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.changed()).isFalse();
    }

    @Test
    void staysOnTheLastClassWhenThereIsNoFurtherFallback() {
        Pod pending = pod("c-1", "gen", "generate", "cpu", null, null, false, NOW.minusSeconds(300));
        ClassDecision d = decide("cpu", NOW.minusSeconds(300), List.of(pending), List.of(), List.of(gpuNode("g", 0)));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.changed()).isFalse();
    }

    @Test
    void movesBackWhenThePreferredClassHasCapacityForEveryReplica() {
        ClassDecision d =
                decide("cpu", NOW.minusSeconds(60), List.of(), List.of(), List.of(gpuNode("g", 2), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("gpu");
        assertThat(d.changed()).isTrue();
        assertThat(d.reason()).isEmpty();
    }

    @Test
    void waitsOutTheGracePeriodBeforeMovingBackSoItDoesNotFlap() {
        ClassDecision d =
                decide("cpu", NOW.minusSeconds(10), List.of(), List.of(), List.of(gpuNode("g", 2), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.recheckAfter()).contains(Duration.ofSeconds(20));
    }

    @Test
    void doesNotMoveBackWhileThePreferredClassIsStillFull() {
        Pod other = pod("x-1", "other", "generate", "gpu", "g", "127.0.0.5", true, NOW);
        ClassDecision d =
                decide("cpu", NOW.minusSeconds(600), List.of(), List.of(other), List.of(gpuNode("g", 2), cpuNode("c")));
        assertThat(d.hardwareClass()).isEqualTo("cpu");
        assertThat(d.changed()).isFalse();
    }

    @Test
    void aClassRemovedFromTheChainResetsToThePreferredClass() {
        ClassDecision d = decide("npu", NOW, List.of(), List.of(), List.of());
        assertThat(d.hardwareClass()).isEqualTo("gpu");
        assertThat(d.changed()).isTrue();
    }

    @Test
    void capacityCountsOnlyReadyUncordonedNodesOfTheClassMinusBoundRequests() {
        Node cordoned = gpuNode("g2", 4);
        cordoned.getSpec().setUnschedulable(true);
        Node notReady = node("g3", false, Map.of("nvidia.com/gpu.present", "true"), Map.of("nvidia.com/gpu", "4"));
        Pod bound = pod("p", "w", "generate", "gpu", "g1", "127.0.0.2", true, NOW);
        int slots = Capacity.freeSlots(
                classes.get("gpu"), List.of(gpuNode("g1", 2), cordoned, notReady, cpuNode("c")), List.of(bound));
        assertThat(slots).isEqualTo(1);
    }
}
