package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides when a pool moves down its fallback chain (pods of the class in use Pending as unschedulable for longer
 * than the grace period, or lost with their node while the class has no free capacity for them) and back up (a better class has free capacity for every replica, and the pool has stayed
 * on its fallback for at least the grace period, so it does not flap).
 */
public final class ClassSelector {
    private ClassSelector() {}

    public record Input(
            List<String> chain,
            String current,
            Instant currentSince,
            int replicas,
            Collection<Pod> workerPods,
            Collection<Pod> allBoundPods,
            Collection<Node> nodes,
            Map<String, HardwareClass> classes,
            Duration grace,
            Instant now) {}

    public static ClassDecision decide(Input in) {
        List<String> chain = in.chain();
        String preferred = chain.get(0);
        int index = in.current() == null ? -1 : chain.indexOf(in.current());
        if (index < 0) return new ClassDecision(preferred, in.current() != null, "", Optional.empty());

        Instant since = in.currentSince() == null ? Instant.EPOCH : in.currentSince();
        Duration onCurrent = Duration.between(since, in.now());
        if (index > 0) {
            for (int better = 0; better < index; better++) {
                HardwareClass candidate = in.classes().get(chain.get(better));
                if (candidate != null
                        && Capacity.freeSlots(candidate, in.nodes(), in.allBoundPods()) >= Math.max(1, in.replicas())) {
                    if (onCurrent.compareTo(in.grace()) >= 0) {
                        return new ClassDecision(
                                chain.get(better), true, reasonFor(chain.get(better), preferred), Optional.empty());
                    }
                    return new ClassDecision(
                            in.current(),
                            false,
                            reasonFor(in.current(), preferred),
                            Optional.of(in.grace().minus(onCurrent)));
                }
            }
        }

        // A node lost (deleted, or NotReady for the grace period) takes its pods with it, whatever the pod GC does.
        NodeLoss loss = nodeLoss(in.workerPods(), in.nodes(), in.grace(), in.now());
        List<Pod> lostHere = loss.lost().stream()
                .filter(p -> in.current().equals(classOf(p)))
                .toList();
        if (!lostHere.isEmpty() && index + 1 < chain.size()) {
            HardwareClass currentClass = in.classes().get(in.current());
            int free = currentClass == null ? 0 : Capacity.freeSlots(currentClass, in.nodes(), in.allBoundPods());
            if (free < lostHere.size()) {
                String next = chain.get(index + 1);
                String reason = "node(s) " + nodesOf(lostHere) + " of class " + in.current()
                        + " lost (gone or NotReady for"
                        + " the grace period " + in.grace().toSeconds() + "s) and no free capacity left on the class;"
                        + " moved to fallback class " + next;
                return new ClassDecision(next, true, reason, Optional.empty());
            }
        }

        Optional<Instant> oldestPending = in.workerPods().stream()
                .filter(p -> in.current().equals(classOf(p)))
                .map(Pods::unschedulableSince)
                .flatMap(Optional::stream)
                .min(Instant::compareTo);
        String keptReason = reasonFor(in.current(), preferred);
        if (oldestPending.isEmpty()) return new ClassDecision(in.current(), false, keptReason, loss.recheckAfter());
        Duration pendingFor = Duration.between(oldestPending.get(), in.now());
        if (pendingFor.compareTo(in.grace()) < 0) {
            return new ClassDecision(
                    in.current(), false, keptReason, Optional.of(in.grace().minus(pendingFor)));
        }
        if (index + 1 >= chain.size()) return new ClassDecision(in.current(), false, keptReason, Optional.empty());
        String next = chain.get(index + 1);
        String reason = "pods on class " + in.current() + " unschedulable for " + pendingFor.toSeconds() + "s (grace "
                + in.grace().toSeconds() + "s); moved to fallback class " + next;
        return new ClassDecision(next, true, reason, Optional.empty());
    }

    /** Pods on lost nodes, and when the next node now NotReady will have been so for the grace period. */
    public record NodeLoss(List<Pod> lost, Optional<Duration> recheckAfter) {}

    /**
     * Pods bound to a node that no longer exists, or that has been NotReady for at least {@code grace}. Such a pod will
     * not serve again; a StatefulSet would keep it (Terminating) forever on a dead kubelet.
     */
    public static NodeLoss nodeLoss(Collection<Pod> pods, Collection<Node> nodes, Duration grace, Instant now) {
        Map<String, Node> byName = new java.util.HashMap<>();
        nodes.forEach(n -> byName.put(n.getMetadata().getName(), n));
        List<Pod> lost = new ArrayList<>();
        Optional<Duration> recheck = Optional.empty();
        for (Pod pod : pods) {
            String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
            if (nodeName == null || Pods.isTerminated(pod)) continue;
            Node node = byName.get(nodeName);
            // A node missing from the cache is gone; a pod bound within the grace period may just be ahead of the
            // node's own watch event, so its loss counts from its binding.
            Optional<Instant> since = node == null ? Optional.of(Pods.scheduledAt(pod)) : Nodes.notReadySince(node);
            if (since.isEmpty()) continue;
            Duration down = Duration.between(since.get(), now);
            if (down.compareTo(grace) >= 0) {
                lost.add(pod);
            } else {
                Duration left = grace.minus(down);
                recheck = Optional.of(
                        recheck.map(r -> r.compareTo(left) < 0 ? r : left).orElse(left));
            }
        }
        return new NodeLoss(lost, recheck);
    }

    private static String nodesOf(List<Pod> pods) {
        return pods.stream()
                .map(p -> p.getSpec().getNodeName())
                .distinct()
                .sorted()
                .toList()
                .toString();
    }

    private static String reasonFor(String current, String preferred) {
        return current.equals(preferred) ? "" : "preferred class " + preferred + " has no capacity";
    }

    static String classOf(Pod pod) {
        return pod.getMetadata().getLabels() == null
                ? null
                : pod.getMetadata().getLabels().get(dev.slm.fleet.operator.Labels.HARDWARE_CLASS);
    }

    public static List<String> chain(String preferred, List<String> fallbacks) {
        List<String> chain = new ArrayList<>();
        chain.add(preferred);
        if (fallbacks != null)
            fallbacks.stream().filter(c -> !chain.contains(c)).forEach(chain::add);
        return chain;
    }
}
