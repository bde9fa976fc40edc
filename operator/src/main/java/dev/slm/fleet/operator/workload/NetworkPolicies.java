package dev.slm.fleet.operator.workload;

import static dev.slm.fleet.operator.Labels.CLUSTER;
import static dev.slm.fleet.operator.Labels.COMPONENT;
import static dev.slm.fleet.operator.Labels.GRPC_PORT;
import static dev.slm.fleet.operator.Labels.HTTP_PORT;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.operator.router.RouterResources;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.Map;

/**
 * Ingress of one SlmCluster's pods: workers take gRPC only from that cluster's routers and metrics scrapes on the
 * HTTP port; routers take clients on their gRPC and HTTP ports. Nothing else reaches them.
 */
public final class NetworkPolicies {
    private NetworkPolicies() {}

    public static String workersName(SlmCluster cluster) {
        return cluster.getMetadata().getName() + "-workers";
    }

    public static String routerName(SlmCluster cluster) {
        return cluster.getMetadata().getName() + "-router";
    }

    public static NetworkPolicy workers(SlmCluster cluster) {
        String name = cluster.getMetadata().getName();
        return new NetworkPolicyBuilder()
                .withMetadata(meta(cluster, workersName(cluster)))
                .withNewSpec()
                .withPodSelector(selector(name, "worker"))
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .withFrom(new NetworkPolicyPeerBuilder()
                        .withPodSelector(selector(name, "router"))
                        .build())
                .withPorts(port(GRPC_PORT))
                .endIngress()
                .addNewIngress()
                .withPorts(port(HTTP_PORT))
                .endIngress()
                .endSpec()
                .build();
    }

    public static NetworkPolicy router(SlmCluster cluster) {
        return new NetworkPolicyBuilder()
                .withMetadata(meta(cluster, routerName(cluster)))
                .withNewSpec()
                .withPodSelector(selector(cluster.getMetadata().getName(), "router"))
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .withPorts(port(GRPC_PORT), port(HTTP_PORT))
                .endIngress()
                .endSpec()
                .build();
    }

    private static io.fabric8.kubernetes.api.model.LabelSelector selector(String cluster, String component) {
        return new LabelSelectorBuilder()
                .withMatchLabels(Map.of(CLUSTER, cluster, COMPONENT, component))
                .build();
    }

    private static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort port(int port) {
        return new NetworkPolicyPortBuilder()
                .withProtocol("TCP")
                .withPort(new IntOrString(port))
                .build();
    }

    private static io.fabric8.kubernetes.api.model.ObjectMeta meta(SlmCluster cluster, String name) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(cluster.getMetadata().getNamespace())
                .withLabels(RouterResources.labels(cluster))
                .withOwnerReferences(WorkerResources.ownerReference(cluster))
                .build();
    }
}
