package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/** Informer event sources shared by both reconcilers. */
final class EventSources {
    private EventSources() {}

    static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> owned(
            Class<R> type, String labelSelector, Class<P> primary, EventSourceContext<P> context) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(type, primary)
                        .withName(type.getSimpleName().toLowerCase())
                        .withLabelSelector(labelSelector)
                        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(primary))
                        .build(),
                context);
    }

    /**
     * Worker pods, mapped by label to their SlmWorker or SlmCluster. An update wakes the primary only when it changes
     * what placement, status or the routing table read; kubelet heartbeats of container statuses do not.
     */
    static <P extends HasMetadata> InformerEventSource<Pod, P> pods(
            String labelSelector, String nameLabel, Class<P> primary, EventSourceContext<P> context) {
        SecondaryToPrimaryMapper<Pod> mapper = r -> {
            Map<String, String> labels = r.getMetadata().getLabels();
            String name = labels == null ? null : labels.get(nameLabel);
            return name == null
                    ? Set.of()
                    : Set.of(new ResourceID(name, r.getMetadata().getNamespace()));
        };
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Pod.class, primary)
                        .withName("pod")
                        .withLabelSelector(labelSelector)
                        .withSecondaryToPrimaryMapper(mapper)
                        .withOnUpdateFilter((newPod, oldPod) -> relevantChange(oldPod, newPod))
                        .build(),
                context);
    }

    static boolean relevantChange(Pod oldPod, Pod newPod) {
        if (oldPod == null || newPod == null) return true;
        return !Objects.equals(
                        oldPod.getMetadata().getDeletionTimestamp(),
                        newPod.getMetadata().getDeletionTimestamp())
                || !Objects.equals(
                        oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels())
                || !Objects.equals(
                        oldPod.getMetadata().getAnnotations(),
                        newPod.getMetadata().getAnnotations())
                || !Objects.equals(nodeName(oldPod), nodeName(newPod))
                || !Objects.equals(phase(oldPod), phase(newPod))
                || !Objects.equals(podIp(oldPod), podIp(newPod))
                || dev.slm.fleet.operator.placement.Pods.isReady(oldPod)
                        != dev.slm.fleet.operator.placement.Pods.isReady(newPod)
                || !Objects.equals(
                        dev.slm.fleet.operator.placement.Pods.unschedulableSince(oldPod),
                        dev.slm.fleet.operator.placement.Pods.unschedulableSince(newPod));
    }

    private static String nodeName(Pod p) {
        return p.getSpec() == null ? null : p.getSpec().getNodeName();
    }

    private static String phase(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    private static String podIp(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPodIP();
    }

    /** Nodes: every primary is told when a node's readiness, labels, capacity, taints or cordon change. */
    static <P extends HasMetadata> InformerEventSource<Node, P> nodes(Class<P> primary, EventSourceContext<P> context) {
        SecondaryToPrimaryMapper<Node> mapper = n ->
                context.getPrimaryCache().list().map(ResourceID::fromResource).collect(Collectors.toSet());
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Node.class, primary)
                        .withName("node")
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper(mapper)
                        .withOnUpdateFilter((newNode, oldNode) -> relevantChange(oldNode, newNode))
                        .build(),
                context);
    }

    static boolean relevantChange(Node oldNode, Node newNode) {
        if (oldNode == null || newNode == null) return true;
        return dev.slm.fleet.operator.placement.Nodes.isReady(oldNode)
                        != dev.slm.fleet.operator.placement.Nodes.isReady(newNode)
                || !Objects.equals(
                        oldNode.getMetadata().getLabels(), newNode.getMetadata().getLabels())
                || !Objects.equals(oldNode.getSpec(), newNode.getSpec())
                || !Objects.equals(
                        oldNode.getStatus() == null ? null : oldNode.getStatus().getAllocatable(),
                        newNode.getStatus() == null ? null : newNode.getStatus().getAllocatable());
    }
}
