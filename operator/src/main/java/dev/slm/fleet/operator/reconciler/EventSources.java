package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** The informer event sources of both reconcilers and the filters that keep changes nobody reads from waking them. */
final class EventSources {
    private EventSources() {}

    /**
     * Objects this operator owns, selected by label, mapped by owner reference. An update wakes the owner unless
     * only what no reader looks at changed: the status that controllers keep writing (a PodDisruptionBudget's
     * healthy counts, a workload's available replicas and condition heartbeats) and the resource version. Kinds
     * without a generation (ConfigMap, Service, ServiceAccount, RBAC) wake on every update.
     */
    static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> owned(
            Class<R> type, String labelSelector, Class<P> primary, EventSourceContext<P> context) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(type, primary)
                        .withName(type.getSimpleName().toLowerCase())
                        .withLabelSelector(labelSelector)
                        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(primary))
                        .withOnUpdateFilter((newR, oldR) -> relevantChange(oldR, newR))
                        .build(),
                context);
    }

    static boolean relevantChange(HasMetadata oldR, HasMetadata newR) {
        if (oldR == null || newR == null) return true;
        var o = oldR.getMetadata();
        var n = newR.getMetadata();
        if (o.getGeneration() == null || n.getGeneration() == null) return true;
        if (!Objects.equals(o.getGeneration(), n.getGeneration())
                || !Objects.equals(o.getLabels(), n.getLabels())
                || !Objects.equals(o.getAnnotations(), n.getAnnotations())
                || !Objects.equals(o.getOwnerReferences(), n.getOwnerReferences())
                || !Objects.equals(o.getDeletionTimestamp(), n.getDeletionTimestamp())) {
            return true;
        }
        if (oldR instanceof Deployment od && newR instanceof Deployment nd) {
            return !Objects.equals(rollout(od.getStatus()), rollout(nd.getStatus()));
        }
        if (oldR instanceof StatefulSet os && newR instanceof StatefulSet ns) {
            return !Objects.equals(rollout(os.getStatus()), rollout(ns.getStatus()));
        }
        return false;
    }

    /** What the reconcilers read of a rollout: observed generation, replicas, updated and ready replicas. */
    private static List<Object> rollout(DeploymentStatus s) {
        return s == null
                ? List.of()
                : Arrays.asList(
                        s.getObservedGeneration(), s.getReplicas(), s.getUpdatedReplicas(), s.getReadyReplicas());
    }

    private static List<Object> rollout(StatefulSetStatus s) {
        return s == null
                ? List.of()
                : Arrays.asList(
                        s.getObservedGeneration(), s.getReplicas(), s.getUpdatedReplicas(), s.getReadyReplicas());
    }

    /**
     * A worker pod's update wakes its primary only when it changes what placement, status or the routing table read;
     * kubelet heartbeats of container statuses do not.
     */
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

    static final String KNOWLEDGE_BASE = "knowledge-base";

    static String knowledgeBaseName(dev.slm.fleet.api.v1alpha1.SlmCluster cluster) {
        var retrieval = cluster.getSpec() == null ? null : cluster.getSpec().retrieval;
        return retrieval == null ? null : retrieval.configMapName;
    }

    /**
     * The knowledge-base ConfigMaps (spec.retrieval.configMapName, the user's own, unlabelled): a ConfigMap wakes the
     * clusters of its namespace that name it, when its data changes. Caches the ConfigMaps of the watched namespaces.
     */
    static InformerEventSource<io.fabric8.kubernetes.api.model.ConfigMap, dev.slm.fleet.api.v1alpha1.SlmCluster>
            knowledgeBases(EventSourceContext<dev.slm.fleet.api.v1alpha1.SlmCluster> context) {
        SecondaryToPrimaryMapper<io.fabric8.kubernetes.api.model.ConfigMap> mapper = cm -> context.getPrimaryCache()
                .list(cm.getMetadata().getNamespace())
                .filter(c -> cm.getMetadata().getName().equals(knowledgeBaseName(c)))
                .map(ResourceID::fromResource)
                .collect(Collectors.toSet());
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(
                                io.fabric8.kubernetes.api.model.ConfigMap.class,
                                dev.slm.fleet.api.v1alpha1.SlmCluster.class)
                        .withName(KNOWLEDGE_BASE)
                        .withSecondaryToPrimaryMapper(mapper)
                        .withOnUpdateFilter((next, previous) -> !Objects.equals(next.getData(), previous.getData()))
                        .build(),
                context);
    }

    /** A node's update matters when its readiness, labels, capacity, taints or cordon change (not heartbeats). */
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
