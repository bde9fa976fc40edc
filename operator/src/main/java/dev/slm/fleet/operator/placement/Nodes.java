package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Node predicates: readiness and membership of a hardware class. */
public final class Nodes {
    private Nodes() {}

    public static boolean isReady(Node node) {
        if (node == null || node.getStatus() == null || node.getStatus().getConditions() == null) return false;
        return node.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Since when the node's Ready condition has not been True, if it is not True now (no condition: since ever). */
    public static Optional<Instant> notReadySince(Node node) {
        if (node.getStatus() == null || node.getStatus().getConditions() == null) return Optional.of(Instant.EPOCH);
        Optional<io.fabric8.kubernetes.api.model.NodeCondition> ready = node.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .findFirst();
        if (ready.isEmpty()) return Optional.of(Instant.EPOCH);
        if ("True".equals(ready.get().getStatus())) return Optional.empty();
        String since = ready.get().getLastTransitionTime();
        return Optional.of(since == null ? Instant.EPOCH : Instant.parse(since));
    }

    public static boolean isSchedulable(Node node) {
        return isReady(node)
                && (node.getSpec() == null
                        || !Boolean.TRUE.equals(node.getSpec().getUnschedulable()));
    }

    public static boolean matches(HardwareClass hwClass, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : node.getMetadata().getLabels();
        if (hwClass.nodeSelector != null) {
            for (var e : hwClass.nodeSelector.entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) return false;
            }
        }
        if (hwClass.matchExpressions != null) {
            for (NodeSelectorRequirement r : hwClass.matchExpressions) {
                if (!matches(r, labels)) return false;
            }
        }
        return true;
    }

    static boolean matches(NodeSelectorRequirement r, Map<String, String> labels) {
        String value = labels.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            case "Gt" -> value != null && !values.isEmpty() && parse(value) > parse(values.get(0));
            case "Lt" -> value != null && !values.isEmpty() && parse(value) < parse(values.get(0));
            default -> false;
        };
    }

    private static long parse(String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
