package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
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

    static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> byLabel(
            Class<R> type, String labelSelector, String nameLabel, Class<P> primary, EventSourceContext<P> context) {
        SecondaryToPrimaryMapper<R> mapper = r -> {
            Map<String, String> labels = r.getMetadata().getLabels();
            String name = labels == null ? null : labels.get(nameLabel);
            return name == null
                    ? Set.of()
                    : Set.of(new ResourceID(name, r.getMetadata().getNamespace()));
        };
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(type, primary)
                        .withName(type.getSimpleName().toLowerCase())
                        .withLabelSelector(labelSelector)
                        .withSecondaryToPrimaryMapper(mapper)
                        .build(),
                context);
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
