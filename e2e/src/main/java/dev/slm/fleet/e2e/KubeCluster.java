package dev.slm.fleet.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Optional;

/** A running cluster that tests talk to, with helpers to inject failures. */
public interface KubeCluster extends AutoCloseable {

    ClusterTarget target();

    /** Kubeconfig file of a cluster-admin user; hand it to processes under test (e.g. an operator). */
    Path kubeconfig();

    KubernetesClient client();

    /** Directory with one log file per component, when this JVM started the cluster. */
    Optional<Path> logsDir();

    /**
     * Simulates a kubelet going away ({@code false}: KWOK stops heart-beating the node and its Ready condition is
     * set to False) or coming back ({@code true}). Local target only.
     */
    void setNodeReady(String node, boolean ready);

    /** Flips the pod's Ready and ContainersReady conditions, as a failing readiness probe would. Local target only. */
    void setPodReady(String namespace, String pod, boolean ready);

    /** Deletes the node object, as when a machine is removed from the cluster. */
    void deleteNode(String node);

    /**
     * Adds simulated nodes from node-pool YAML in the format of {@code e2e/nodepools/default.yaml}: Node documents,
     * annotation {@code e2e.slm.dev/count} copies each, {@code {i}} is replaced by the copy index. Local target only.
     */
    void addNodes(String nodePoolYaml);

    /** Adds one simulated node; it must carry the annotation {@code kwok.x-k8s.io/node: fake}. Local target only. */
    Node addNode(Node node);

    @Override
    void close();
}
