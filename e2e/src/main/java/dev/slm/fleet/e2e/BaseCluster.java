package dev.slm.fleet.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/** Fault helpers shared by every target; the KWOK-specific ones are refused (test aborted) elsewhere. */
abstract class BaseCluster implements KubeCluster {

    static final String KWOK_MANAGED_ANNOTATION = "kwok.x-k8s.io/node";
    private static final Pattern COUNT = Pattern.compile("e2e\\.slm\\.dev/count:\\s*\"?(\\d+)");

    static final int REQUEST_TIMEOUT_MS = 60_000;

    private final Path kubeconfig;
    private final KubernetesClient client;

    BaseCluster(Path kubeconfig) {
        this.kubeconfig = kubeconfig;
        try {
            Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
            // fabric8's 10 s default is not enough for an API server on two busy cores storing a megabyte-sized object.
            config.setRequestTimeout(REQUEST_TIMEOUT_MS);
            this.client = new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, e);
        }
    }

    @Override
    public Path kubeconfig() {
        return kubeconfig;
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public Optional<Path> logsDir() {
        return Optional.empty();
    }

    boolean simulatesNodes() {
        return false;
    }

    private void requireSimulatedNodes(String helper) {
        Assumptions.assumeTrue(
                simulatesNodes(),
                () -> helper + " needs KWOK-simulated nodes, only available with " + ClusterTarget.PROPERTY
                        + "=local (current target: " + target().name().toLowerCase() + ")");
    }

    /**
     * Strategic merge patches keyed by condition type and without a resourceVersion: KWOK and the controllers write
     * the same objects meanwhile, and a patch of the conditions list by index (or a read-modify-write) would race them.
     */
    private static final PatchContext STRATEGIC = PatchContext.of(PatchType.STRATEGIC_MERGE);

    @Override
    public void setNodeReady(String node, boolean ready) {
        requireSimulatedNodes("setNodeReady");
        // KWOK manages a node only while it carries the annotation, and re-initialises a managed node whose Ready
        // condition is not True; so the node leaves KWOK while NotReady (no heartbeats, its pods left alone, as on a
        // dead machine) and rejoins when Ready again.
        client.nodes()
                .withName(node)
                .patch(
                        STRATEGIC,
                        ready
                                ? "{\"metadata\":{\"annotations\":{\"" + KWOK_MANAGED_ANNOTATION + "\":\"fake\"}}}"
                                : "{\"metadata\":{\"annotations\":{\"" + KWOK_MANAGED_ANNOTATION + "\":null}}}");
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        client.nodes()
                .withName(node)
                .subresource("status")
                .patch(
                        STRATEGIC,
                        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False")
                                + "\",\"reason\":\"" + (ready ? "KubeletReady" : "KubeletNotReady")
                                + "\",\"message\":\"simulated by slm-e2e\",\"lastTransitionTime\":\"" + now
                                + "\",\"lastHeartbeatTime\":\"" + now + "\"}]}}");
    }

    @Override
    public void setPodReady(String namespace, String pod, boolean ready) {
        requireSimulatedNodes("setPodReady");
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String status = ready ? "True" : "False";
        client.pods()
                .inNamespace(namespace)
                .withName(pod)
                .subresource("status")
                .patch(
                        STRATEGIC,
                        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + status
                                + "\",\"lastTransitionTime\":\"" + now + "\"},"
                                + "{\"type\":\"ContainersReady\",\"status\":\"" + status
                                + "\",\"lastTransitionTime\":\"" + now + "\"}]}}");
    }

    @Override
    public void deleteNode(String node) {
        client.nodes().withName(node).delete();
    }

    @Override
    public void addNodes(String nodePoolYaml) {
        requireSimulatedNodes("addNodes");
        for (String document : expandNodePools(nodePoolYaml)) {
            client.resource(Serialization.unmarshal(document, Node.class)).create();
        }
    }

    @Override
    public Node addNode(Node node) {
        requireSimulatedNodes("addNode");
        return client.resource(node).create();
    }

    /** Expands the node-pool format: Node documents, {@code e2e.slm.dev/count} copies, {@code {i}} = copy index. */
    static List<String> expandNodePools(String yaml) {
        List<String> nodes = new ArrayList<>();
        for (String document : yaml.split("(?m)^---.*$")) {
            if (!document.matches("(?s).*kind:\\s*Node\\b.*")) {
                continue;
            }
            Matcher count = COUNT.matcher(document);
            int copies = count.find() ? Integer.parseInt(count.group(1)) : 1;
            for (int i = 0; i < copies; i++) {
                nodes.add(document.replace("{i}", Integer.toString(i)));
            }
        }
        return nodes;
    }

    @Override
    public void close() {
        client.close();
    }
}
