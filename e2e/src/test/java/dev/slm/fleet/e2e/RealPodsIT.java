package dev.slm.fleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole product on real pods: the local control plane with one real kubelet + containerd node (e2e/cluster up
 * --real-node, images from {@code make images}) and GPU nodes on KWOK. The chart installs the operator as a real pod
 * in a namespace that enforces the restricted Pod Security Standard; the chatbot sample's CPU workers and router run
 * on the real node behind the kubelet's own probes; chats go to the router pod's IP and are served by the worker
 * pods; then containers are killed. Runs in its own surefire execution (slm.e2e.realNode=true); skipped, with the
 * reason, where the machine cannot run containers or the images were not built.
 */
@KubeTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealPodsIT {
    private static final String NS = "slm-real";
    private static final String REAL_NODE = "real-cpu-0";
    private static final Duration POD_START = Duration.ofMinutes(10);
    private static final Duration CONVERGE = Duration.ofMinutes(5);
    private static final ResourceDefinitionContext SLM_WORKER = new ResourceDefinitionContext.Builder()
            .withGroup("fleet.slm.dev")
            .withVersion("v1alpha1")
            .withPlural("slmworkers")
            .withKind("SlmWorker")
            .withNamespaced(true)
            .build();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Long> timings = new java.util.LinkedHashMap<>();
    private Path repo;
    private Path state;
    private Path bin;

    @BeforeAll
    void locate(KubeCluster cluster) throws IOException {
        state = cluster.kubeconfig().getParent();
        repo = Path.of(System.getProperty("slm.e2e.home", "e2e"))
                .toAbsolutePath()
                .getParent();
        bin = Path.of(env().get("BIN_DIR"));
    }

    @Test
    @Order(1)
    void chartRunsTheOperatorAsARealPodInARestrictedNamespace(KubernetesClient kube) throws Exception {
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NS)
                        .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                        .addToLabels("pod-security.kubernetes.io/enforce-version", "latest")
                        .endMetadata()
                        .build())
                .serverSideApply();
        long t0 = System.nanoTime();
        exec(
                bin.resolve("helm").toString(),
                "--kubeconfig",
                state.resolve("kubeconfig").toString(),
                "install",
                "slm-fleet",
                repo.resolve("helm/slm-fleet").toString(),
                "--namespace",
                NS,
                "--set",
                "replicaCount=1");
        Pod operator = await().atMost(POD_START)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> readyPods(kube, "app.kubernetes.io/name", "slm-fleet-operator"), p -> p.size() == 1)
                .get(0);
        timings.put("helm install -> operator pod Ready", ms(t0));
        assertThat(operator.getSpec().getNodeName()).isEqualTo(REAL_NODE);
        assertThat(operator.getStatus().getContainerStatuses().get(0).getImage())
                .endsWith("slm-fleet/operator:0.1.0");
    }

    @Test
    @Order(2)
    void sampleWorkersAndRouterPassTheKubeletsProbesOnTheRealNode(KubernetesClient kube) throws Exception {
        String sample = Files.readString(repo.resolve("config/samples/chatbot.yaml"));
        // The real node is this 2-core machine: smaller CPU requests than the sample's, and time for JVMs that start
        // while the machine is busy.
        String adapted = sample.replace("requests: {cpu: 500m, memory: 512Mi}", "requests: {cpu: 100m, memory: 384Mi}")
                .replace("requests: {cpu: 250m, memory: 512Mi}", "requests: {cpu: 100m, memory: 384Mi}")
                .replace("startupTimeoutSeconds: 120", "startupTimeoutSeconds: 900")
                // No prepared-model volume on the real node: the slots pods run the built-in extractors alone.
                .replace(
                        """
                            uri: file:/models/rampart-pii/model.onnx
                            tokenizerUri: file:/models/rampart-pii/tokenizer.json
                            sha256: "9f27d24949b0581701071ea5ef522d77ccd3f50c525cc91eac4d265b0fc2afe5"
                            quantization: int4
                        """,
                        """
                            uri: builtin:all-minilm-l6-v2-q
                            sha256: "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1"
                            quantization: int8
                        """);
        assertThat(adapted)
                .as("the sample's CPU requests, start-up timeouts and the slots model")
                .contains("cpu: 100m, memory: 384Mi", "startupTimeoutSeconds: 900")
                .doesNotContain("rampart-pii");
        long t0 = System.nanoTime();
        kube.load(new ByteArrayInputStream(adapted.getBytes(StandardCharsets.UTF_8)))
                .inNamespace(NS)
                .serverSideApply();

        for (String worker : List.of("intent", "slots")) {
            List<Pod> ready = await().atMost(POD_START)
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> readyPods(kube, "fleet.slm.dev/worker", worker), p -> p.size() == 2);
            timings.put("apply sample -> both " + worker + " pods Ready (gRPC startup/readiness probes)", ms(t0));
            assertThat(ready).allSatisfy(p -> {
                assertThat(p.getSpec().getNodeName()).isEqualTo(REAL_NODE);
                assertThat(p.getSpec().getContainers().get(0).getStartupProbe().getGrpc())
                        .isNotNull();
            });
        }
        Pod router = await().atMost(POD_START)
                .pollInterval(Duration.ofSeconds(2))
                .until(() -> readyPods(kube, "app.kubernetes.io/component", "router"), p -> p.size() == 1)
                .get(0);
        timings.put("apply sample -> router pod Ready", ms(t0));
        assertThat(router.getSpec().getNodeName()).isEqualTo(REAL_NODE);
        Pod generator = kube.pods()
                .inNamespace(NS)
                .withLabel("fleet.slm.dev/worker", "generator")
                .list()
                .getItems()
                .get(0);
        assertThat(generator.getSpec().getNodeName()).startsWith("gpu-");
        // Every pod the operator made was admitted under the restricted standard (none refused by its ReplicaSet).
        assertThat(kube.v1().events().inNamespace(NS).list().getItems())
                .noneSatisfy(e -> assertThat(e.getMessage()).contains("violates PodSecurity"));
    }

    @Test
    @Order(3)
    void chatToTheRouterPodIsServedByTheWorkerPodsOverPodIps(KubernetesClient kube) throws Exception {
        List<String> intentAddresses = readyPods(kube, "fleet.slm.dev/worker", "intent").stream()
                .map(p -> p.getStatus().getPodIP() + ":9000")
                .toList();
        JsonNode answer = await().atMost(CONVERGE)
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(
                        () -> chat(kube, "book a table for two tonight"),
                        a -> a.path("stages").size() > 0);
        assertThat(answer.path("intent").asText()).isEqualTo("book_table");
        assertThat(answer.path("stages")).anySatisfy(s -> {
            assertThat(s.path("stage").asText()).isEqualTo("classify-intent");
            assertThat(intentAddresses).contains(s.path("endpoint").asText());
        });
    }

    @Test
    @Order(4)
    void killedWorkerContainerIsRestartedDroppedAndReAddedWhileTheOtherReplicaServes(KubernetesClient kube)
            throws Exception {
        List<Pod> intents = readyPods(kube, "fleet.slm.dev/worker", "intent");
        Pod victim = intents.get(0);
        String victimAddress = victim.getStatus().getPodIP() + ":9000";
        String survivorAddress = intents.get(1).getStatus().getPodIP() + ":9000";
        int restartsBefore = restarts(kube, victim.getMetadata().getName());

        long t0 = System.nanoTime();
        killContainer(victim);
        await().atMost(CONVERGE)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !routedAddresses(kube, "classify-intent").contains(victimAddress));
        timings.put("worker container SIGKILL -> dropped from the routing table", ms(t0));

        // While it is out, chats are served by the other replica (the router's watch may trail the ConfigMap by a
        // moment, so a chat may still fail then; none may reach the dead address).
        int served = 0;
        int failed = 0;
        while (!routedAddresses(kube, "classify-intent").contains(victimAddress)
                && System.nanoTime() - t0 < CONVERGE.toNanos()) {
            try {
                List<String> endpoints = new ArrayList<>();
                chat(kube, "when are you open")
                        .path("stages")
                        .forEach(st -> endpoints.add(st.path("endpoint").asText()));
                assertThat(endpoints).doesNotContain(victimAddress);
                if (endpoints.contains(survivorAddress)) {
                    served++;
                }
            } catch (IOException | AssertionError e) {
                if (e instanceof AssertionError a && a.getMessage().contains(victimAddress)) {
                    throw a;
                }
                failed++;
            }
        }
        timings.put("worker container SIGKILL -> restarted by the kubelet and back in the routing table", ms(t0));
        assertThat(routedAddresses(kube, "classify-intent")).contains(victimAddress, survivorAddress);
        assertThat(restarts(kube, victim.getMetadata().getName())).isGreaterThan(restartsBefore);
        System.out.println("[real-pods] while the killed replica was out: " + served
                + " chats served by the other replica, " + failed + " failed");
        assertThat(served).isPositive();
    }

    @Test
    @Order(5)
    void operatorKilledMidReconcileComesBackAndConvergesWithoutDuplicates(KubernetesClient kube) throws Exception {
        Pod operator =
                readyPods(kube, "app.kubernetes.io/name", "slm-fleet-operator").get(0);
        int restartsBefore = restarts(kube, operator.getMetadata().getName());
        GenericKubernetesResource slots = kube.genericKubernetesResources(SLM_WORKER)
                .inNamespace(NS)
                .withName("slots")
                .get();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec =
                (Map<String, Object>) slots.getAdditionalProperties().get("spec");
        spec.put("replicas", 1);
        long t0 = System.nanoTime();
        kube.genericKubernetesResources(SLM_WORKER)
                .inNamespace(NS)
                .resource(slots)
                .update();
        killContainer(operator);

        await().atMost(CONVERGE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(restarts(kube, operator.getMetadata().getName())).isGreaterThan(restartsBefore);
            assertThat(readyPods(kube, "app.kubernetes.io/name", "slm-fleet-operator"))
                    .hasSize(1);
            assertThat(routedAddresses(kube, "extract-slots")).hasSize(1);
            assertThat(readyPods(kube, "fleet.slm.dev/worker", "slots")).hasSize(1);
        });
        timings.put("operator SIGKILL mid-reconcile -> restarted, converged (slots 2 -> 1)", ms(t0));
        List<String> deployments = kube.apps().deployments().inNamespace(NS).list().getItems().stream()
                .map(Deployment::getMetadata)
                .map(m -> m.getName())
                .sorted()
                .toList();
        assertThat(deployments).contains("chatbot-router", "intent", "slm-fleet-slm-fleet-operator", "slots");
        assertThat(readyPods(kube, "fleet.slm.dev/worker", "intent")).hasSize(2);
        assertThat(routedAddresses(kube, "classify-intent")).hasSize(2).doesNotHaveDuplicates();
        System.out.println("[real-pods] timings (ms, this machine, shared): " + timings);
    }

    private JsonNode chat(KubernetesClient kube, String text) throws Exception {
        Pod router = readyPods(kube, "app.kubernetes.io/component", "router").get(0);
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://" + router.getStatus().getPodIP() + ":8080/chat"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                json.createObjectNode().put("text", text).toString()))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private List<String> routedAddresses(KubernetesClient kube, String task) throws IOException {
        var cm = kube.configMaps().inNamespace(NS).withName("chatbot-routing").get();
        if (cm == null || cm.getData() == null || cm.getData().get("routing-table.json") == null) {
            return List.of();
        }
        List<String> addresses = new ArrayList<>();
        for (JsonNode t : json.readTree(cm.getData().get("routing-table.json")).path("tasks")) {
            if (t.path("task").asText().equals(task)) {
                t.path("endpoints").forEach(e -> addresses.add(e.path("address").asText()));
            }
        }
        return addresses;
    }

    private static List<Pod> readyPods(KubernetesClient kube, String label, String value) {
        return kube.pods().inNamespace(NS).withLabel(label, value).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> p.getStatus().getConditions().stream()
                        .anyMatch(c ->
                                c.getType().equals("Ready") && c.getStatus().equals("True")))
                .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
                .collect(Collectors.toList());
    }

    private static int restarts(KubernetesClient kube, String pod) {
        Pod p = kube.pods().inNamespace(NS).withName(pod).get();
        return p.getStatus().getContainerStatuses().stream()
                .mapToInt(ContainerStatus::getRestartCount)
                .sum();
    }

    /** SIGKILL to the pod's (only) container through the node's containerd, as an OOM kill or a crash would. */
    private void killContainer(Pod pod) throws Exception {
        String id =
                pod.getStatus().getContainerStatuses().get(0).getContainerID().replace("containerd://", "");
        exec(
                "ctr",
                "--address",
                state.resolve("node/containerd.sock").toString(),
                "-n",
                "k8s.io",
                "tasks",
                "kill",
                "--signal",
                "SIGKILL",
                id);
    }

    private Map<String, String> env() throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(state.resolve("env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
