package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** How many more pods of a class fit on its ready nodes, counting the extended resource only. */
public final class Capacity {
    private Capacity() {}

    /**
     * Free pod slots on the class's ready, schedulable nodes. A class without an extended resource has room as soon as
     * one such node exists ({@link Integer#MAX_VALUE}); CPU and memory are left to the scheduler.
     */
    public static int freeSlots(HardwareClass hwClass, Collection<Node> nodes, Collection<Pod> boundPods) {
        boolean extended = hwClass.resourceName != null && !hwClass.resourceName.isBlank();
        Map<String, BigDecimal> used = extended ? usedByNode(hwClass.resourceName, boundPods) : Map.of();
        long slots = 0;
        int perPod = Placement.perPod(hwClass);
        for (Node node : nodes) {
            if (!Nodes.isSchedulable(node) || !Nodes.matches(hwClass, node)) continue;
            if (!extended) return Integer.MAX_VALUE;
            Quantity allocatable = node.getStatus().getAllocatable() == null
                    ? null
                    : node.getStatus().getAllocatable().get(hwClass.resourceName);
            if (allocatable == null) continue;
            BigDecimal free = allocatable
                    .getNumericalAmount()
                    .subtract(used.getOrDefault(node.getMetadata().getName(), BigDecimal.ZERO));
            if (free.signum() > 0) slots += free.intValue() / perPod;
        }
        return (int) Math.min(Integer.MAX_VALUE, slots);
    }

    static Map<String, BigDecimal> usedByNode(String resource, Collection<Pod> pods) {
        Map<String, BigDecimal> used = new HashMap<>();
        for (Pod pod : pods) {
            String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
            if (node == null || Pods.isTerminated(pod)) continue;
            BigDecimal requested = pod.getSpec().getContainers().stream()
                    .map(c -> c.getResources() == null || c.getResources().getRequests() == null
                            ? null
                            : c.getResources().getRequests().get(resource))
                    .filter(q -> q != null)
                    .map(Quantity::getNumericalAmount)
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
            used.merge(node, requested, BigDecimal::add);
        }
        return used;
    }
}
