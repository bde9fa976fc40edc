package dev.slm.fleet.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
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

    private final Path kubeconfig;
    private final KubernetesClient client;

    BaseCluster(Path kubeconfig) {
        this.kubeconfig = kubeconfig;
        try {
            Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
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

    @Override
    public void setNodeReady(String node, boolean ready) {
        requireSimulatedNodes("setNodeReady");
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        if (ready) {
            // KWOK's node-initialize stage turns a managed node with a non-True Ready condition back to Ready.
            client.nodes().withName(node).edit(n -> new NodeBuilder(n)
                    .editMetadata()
                    .addToAnnotations(KWOK_MANAGED_ANNOTATION, "fake")
                    .endMetadata()
                    .build());
            return;
        }
        client.nodes().withName(node).edit(n -> new NodeBuilder(n)
                .editMetadata()
                .removeFromAnnotations(KWOK_MANAGED_ANNOTATION)
                .endMetadata()
                .build());
        client.nodes().withName(node).editStatus(n -> {
            Node copy = new NodeBuilder(n).build();
            List<NodeCondition> conditions = new ArrayList<>(copy.getStatus().getConditions());
            conditions.removeIf(c -> "Ready".equals(c.getType()));
            conditions.add(new io.fabric8.kubernetes.api.model.NodeConditionBuilder()
                    .withType("Ready")
                    .withStatus("False")
                    .withReason("KubeletNotReady")
                    .withMessage("simulated by slm-e2e")
                    .withLastHeartbeatTime(now)
                    .withLastTransitionTime(now)
                    .build());
            copy.getStatus().setConditions(conditions);
            return copy;
        });
    }

    @Override
    public void setPodReady(String namespace, String pod, boolean ready) {
        requireSimulatedNodes("setPodReady");
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String status = ready ? "True" : "False";
        client.pods().inNamespace(namespace).withName(pod).editStatus(p -> {
            Pod copy = Serialization.clone(p);
            for (String type : List.of("Ready", "ContainersReady")) {
                List<PodCondition> conditions = copy.getStatus().getConditions();
                conditions.removeIf(c -> type.equals(c.getType()));
                conditions.add(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType(type)
                        .withStatus(status)
                        .withLastTransitionTime(now)
                        .withReason(ready ? null : "ContainersNotReady")
                        .build());
            }
            copy.getStatus().getContainerStatuses().forEach(cs -> cs.setReady(ready));
            return copy;
        });
    }

    @Override
    public void deleteNode(String node) {
        client.nodes().withName(node).delete();
    }

    @Override
    public void addNodes(String nodePoolYaml) {
        requireSimulatedNodes("addNodes");
        for (String document : expandNodePools(nodePoolYaml)) {
            Node node = Serialization.unmarshal(document, Node.class);
            client.resource(node).create();
        }
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
