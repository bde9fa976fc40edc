package dev.slm.fleet.operator.it;

import static dev.slm.fleet.operator.it.Kube.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.e2e.KubeCluster;
import dev.slm.fleet.e2e.KubeTest;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator against the e2e harness's cluster ({@code @KubeTest}: the local control plane by default, with
 * kube-apiserver, scheduler, controller-manager and KWOK nodes): every test has its own namespace and its own KWOK
 * nodes, selected by hardware classes that only it defines. On a target without KWOK the tests that need nodes are
 * skipped with the reason.
 */
@KubeTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private final String run = Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 40), 36);
    private final List<String> nodes = new ArrayList<>();
    private KubeCluster cluster;
    private Config config;
    private KubernetesClient kube;
    private RunningOperator operator;
    private String ns;

    @BeforeAll
    void startOperator(KubeCluster cluster) throws Exception {
        this.cluster = cluster;
        config = cluster.client().getConfiguration();
        kube = new KubernetesClientBuilder().withConfig(config).build();
        installCrds(kube);
        operator = new RunningOperator(config, testConfig());
    }

    static OperatorConfig testConfig() {
        return new OperatorConfig("slm-fleet/worker:it", "slm-fleet/router:it", "IfNotPresent", null, false, null, 0);
    }

    @AfterAll
    void stopOperator() {
        if (operator != null) operator.close();
        if (kube != null) {
            nodes.forEach(n -> kube.nodes().withName(n).delete());
            kube.close();
        }
    }

    @BeforeEach
    void namespace(TestInfo info) {
        String test = info.getTestMethod()
                .orElseThrow()
                .getName()
                .replaceAll("[^A-Za-z]", "")
                .toLowerCase();
        ns = ("it-" + test.substring(0, Math.min(30, test.length())) + "-" + run);
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
    }

    @AfterEach
    void dropNamespace() {
        kube.namespaces().withName(ns).delete();
    }

    private String node(String kind, int gpus) {
        String name = ns + "-" + kind + "-" + nodes.size();
        cluster.addNode(kwokNode(name, ns, kind, gpus));
        nodes.add(name);
        awaitUp().until(() -> isReady(kube.nodes().withName(name).get()));
        return name;
    }

    private static boolean isReady(Node n) {
        return n != null
                && n.getStatus() != null
                && n.getStatus().getConditions() != null
                && n.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private SlmWorker status(String worker) {
        return kube.resources(SlmWorker.class).inNamespace(ns).withName(worker).get();
    }

    private void awaitEndpoints(String task, int count) {
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", task))
                .hasSize(count));
    }

    private static org.awaitility.core.ConditionFactory awaitUp() {
        return await().atMost(CONVERGE).ignoreExceptions();
    }

    @Test
    void placesEachPoolOnTheNodesOfItsHardwareClass() {
        String gpu = node("gpu", 2);
        String cpu = node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        SlmWorker gen = worker(ns, "gen", "chat", Task.GENERATE, 1, "gpu", "cpu");
        gen.getSpec().sessionAffinity = true;
        kube.resource(gen).create();

        awaitUp().untilAsserted(() -> {
            assertThat(workerPods(kube, ns, "intent")).hasSize(2).allSatisfy(p -> {
                assertThat(p.getSpec().getNodeName()).isEqualTo(cpu);
                assertThat(p.getMetadata().getLabels())
                        .containsEntry(Labels.HARDWARE_CLASS, "cpu")
                        .containsEntry(Labels.CLUSTER, "chat")
                        .containsEntry(Labels.TASK, "classify-intent");
            });
            assertThat(workerPods(kube, ns, "gen")).singleElement().satisfies(p -> {
                assertThat(p.getSpec().getNodeName()).isEqualTo(gpu);
                assertThat(p.getSpec().getContainers().get(0).getResources().getLimits())
                        .containsEntry("nvidia.com/gpu", new Quantity("1"));
            });
        });
        assertThat(kube.apps().statefulSets().inNamespace(ns).withName("gen").get())
                .isNotNull();
        assertThat(kube.apps().deployments().inNamespace(ns).withName("intent").get())
                .isNotNull();
        assertThat(kube.services()
                        .inNamespace(ns)
                        .withName("intent")
                        .get()
                        .getSpec()
                        .getClusterIP())
                .isEqualTo("None");
        assertThat(kube.policy()
                        .v1()
                        .podDisruptionBudget()
                        .inNamespace(ns)
                        .withName("intent")
                        .get())
                .isNotNull();

        awaitEndpoints("classify-intent", 2);
        awaitEndpoints("generate", 1);
        awaitUp().untilAsserted(() -> {
            SlmWorker w = status("gen");
            assertThat(w.getStatus().hardwareClass).isEqualTo("gpu");
            assertThat(w.getStatus().readyReplicas).isEqualTo(1);
            assertThat(w.getStatus().nodes).containsExactly(gpu);
            assertThat(w.getStatus().modelDigest).isEqualTo(SHA);
            assertThat(w.getStatus().conditions).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Ready");
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getObservedGeneration()).isEqualTo(w.getMetadata().getGeneration());
            });
            SlmCluster c = kube.resources(SlmCluster.class)
                    .inNamespace(ns)
                    .withName("chat")
                    .get();
            assertThat(c.getStatus().routingTable.endpoints).isEqualTo(3);
            assertThat(c.getStatus().conditions).anySatisfy(x -> {
                assertThat(x.getType()).isEqualTo("Ready");
                assertThat(x.getStatus()).isEqualTo("True");
            });
        });
        assertThat(routingTable(kube, ns, "chat").orElseThrow().getTasksList())
                .filteredOn(r -> r.getTask().equals("generate"))
                .singleElement()
                .satisfies(r -> assertThat(r.getSessionAffine()).isTrue());
    }

    @Test
    void movesToTheFallbackClassWhenGpuCapacityIsExhaustedAndBackWhenItReturns() {
        String gpu = node("gpu", 1);
        String cpu = node("cpu", 0);
        Pod blocker = kube.pods()
                .inNamespace(ns)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("gpu-hog")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(gpu)
                        .addNewContainer()
                        .withName("hog")
                        .withImage("hog:1")
                        .withNewResources()
                        .withRequests(Map.of("nvidia.com/gpu", new Quantity("1")))
                        .withLimits(Map.of("nvidia.com/gpu", new Quantity("1")))
                        .endResources()
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "gen", "chat", Task.GENERATE, 1, "gpu", "cpu")).create();

        awaitUp().untilAsserted(() -> {
            assertThat(status("gen").getStatus().hardwareClass).isEqualTo("cpu");
            assertThat(status("gen").getStatus().fallbackReason).contains("unschedulable");
            assertThat(workerPods(kube, ns, "gen"))
                    .filteredOn(Kube::running)
                    .singleElement()
                    .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(cpu));
        });
        assertThat(status("gen").getStatus().conditions).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Degraded");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("FallbackClass");
        });
        assertThat(kube.resources(Event.class).inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("HardwareClassFallback"));
        awaitEndpoints("generate", 1);

        kube.resource(blocker).withGracePeriod(0).delete();
        awaitUp().untilAsserted(() -> {
            assertThat(status("gen").getStatus().hardwareClass).isEqualTo("gpu");
            assertThat(status("gen").getStatus().fallbackReason).isNull();
            assertThat(workerPods(kube, ns, "gen"))
                    .filteredOn(Kube::running)
                    .singleElement()
                    .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(gpu));
        });
        assertThat(kube.resources(Event.class).inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("HardwareClassRestored"));
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "generate"))
                .singleElement()
                .satisfies(e -> assertThat(e).endsWith("@" + gpu)));
    }

    @Test
    void routingTableFollowsPodReadinessNodeHealthNodeDeletionAndScaling() {
        String cpuA = node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        awaitEndpoints("classify-intent", 2);
        long v0 = routingTable(kube, ns, "chat").orElseThrow().getVersion();

        Pod first = workerPods(kube, ns, "intent").get(0);
        cluster.setPodReady(ns, first.getMetadata().getName(), false);
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "classify-intent"))
                .hasSize(1)
                .noneMatch(e -> e.startsWith(first.getMetadata().getName() + "@")));
        assertThat(routingTable(kube, ns, "chat").orElseThrow().getVersion()).isGreaterThan(v0);
        cluster.setPodReady(ns, first.getMetadata().getName(), true);
        awaitEndpoints("classify-intent", 2);

        cluster.setNodeReady(cpuA, false);
        awaitEndpoints("classify-intent", 0);
        cluster.setNodeReady(cpuA, true);
        awaitEndpoints("classify-intent", 2);

        kube.resources(SlmWorker.class).inNamespace(ns).withName("intent").scale(3);
        awaitEndpoints("classify-intent", 3);
        kube.resources(SlmWorker.class).inNamespace(ns).withName("intent").scale(1);
        awaitEndpoints("classify-intent", 1);

        String cpuB = node("cpu", 0);
        kube.nodes().withName(cpuA).delete();
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "classify-intent"))
                .noneMatch(e -> e.endsWith("@" + cpuA)));
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "classify-intent"))
                .singleElement()
                .satisfies(e -> assertThat(e).endsWith("@" + cpuB)));
    }

    @Test
    void invalidObjectsAreRefusedWithTheFieldNamed() {
        SlmWorker both = worker(ns, "both", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        both.getSpec().model.volume = new dev.slm.fleet.api.v1alpha1.ModelVolume();
        both.getSpec().model.volume.claimName = "models";
        both.getSpec().model.volume.path = "m.onnx";
        assertRefused(both, "spec.model", "exactly one of model.uri or model.volume");

        SlmWorker affine = worker(ns, "affine", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        affine.getSpec().sessionAffinity = true;
        assertRefused(affine, "spec.sessionAffinity", "only supported for task generate or custom");

        SlmWorker digest = worker(ns, "digest", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        digest.getSpec().model.sha256 = "not-a-digest";
        assertRefused(digest, "spec.model.sha256", "should match");

        SlmWorker negative = worker(ns, "negative", "chat", Task.CLASSIFY_INTENT, -1, "cpu");
        assertRefused(negative, "spec.replicas", "should be greater than or equal to 0");

        SlmWorker loop = worker(ns, "loop", "chat", Task.GENERATE, 1, "gpu", "gpu");
        assertRefused(loop, "spec.hardware", "must not contain hardware.class");

        SlmCluster rules = cluster(ns, "rules", ns);
        rules.getSpec().router.fallback = new dev.slm.fleet.api.v1alpha1.FallbackSpec();
        rules.getSpec().router.fallback.mode = dev.slm.fleet.api.v1alpha1.FallbackSpec.Mode.RULES;
        assertRefused(rules, "spec.router.fallback", "needs fallback.templates or fallback.defaultTemplate");

        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "moving", "chat", Task.CLASSIFY_INTENT, 1, "cpu"))
                .create();
        assertThatThrownBy(() -> kube.resources(SlmWorker.class)
                        .inNamespace(ns)
                        .withName("moving")
                        .edit(w -> {
                            w.getSpec().cluster = "other";
                            return w;
                        }))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.cluster")
                .hasMessageContaining("immutable");
    }

    private void assertRefused(io.fabric8.kubernetes.api.model.HasMetadata resource, String field, String message) {
        assertThatThrownBy(() -> kube.resource(resource).create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining(field)
                .hasMessageContaining(message);
    }

    @Test
    void steadyStateReconcilesMakeNoWrites() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        awaitEndpoints("classify-intent", 2);
        awaitUp().untilAsserted(() -> assertThat(status("intent").getStatus().conditions)
                .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("Progressing");
                    assertThat(c.getStatus()).isEqualTo("False");
                }));
        // Let in-flight status patches land: converged means no write for a while.
        awaitUp().until(quietFor(Duration.ofSeconds(3)));

        int mark = operator.writes.count();
        long inNamespace = operator.writes.count(ns);
        long reconciles = reconciles();
        // A pod label change wakes both reconcilers without changing anything they own.
        Pod pod = workerPods(kube, ns, "intent").get(0);
        kube.pods().inNamespace(ns).withName(pod.getMetadata().getName()).edit(p -> {
            p.getMetadata().getLabels().put("touched", "yes");
            return p;
        });
        awaitUp().until(() -> reconciles() >= reconciles + 2);
        try {
            await().atMost(Duration.ofSeconds(10))
                    .during(Duration.ofSeconds(3))
                    .until(() -> operator.writes.count(ns) == inNamespace);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            org.junit.jupiter.api.Assertions.fail("writes in steady state: " + operator.writes.since(mark, ns));
        }
        assertThat(operator.writes.since(mark, ns)).isEmpty();
    }

    @Test
    void aKnowledgeBaseEditReachesThePipelineWithoutRollingTheRouter() {
        kube.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("kb")
                        .withNamespace(ns)
                        .endMetadata()
                        .addToData("hours", "Open 9 to 5.")
                        .build())
                .create();
        SlmCluster c = cluster(ns, "chat", ns);
        var understand = new dev.slm.fleet.api.v1alpha1.StageSpec();
        understand.tasks = List.of(Task.CLASSIFY_INTENT, Task.EMBED);
        c.getSpec().pipeline = List.of(understand);
        c.getSpec().retrieval = new dev.slm.fleet.api.v1alpha1.RetrievalSpec();
        c.getSpec().retrieval.configMapName = "kb";
        kube.resource(c).create();
        awaitUp().until(() -> pipelineJson("chat").contains("Open 9 to 5."));
        awaitUp().until(() -> routerDeployment("chat") != null);
        var before = routerDeployment("chat");

        kube.configMaps().inNamespace(ns).withName("kb").edit(cm -> {
            cm.getData().put("hours", "Open 8 to 8.");
            return cm;
        });
        awaitUp().until(() -> pipelineJson("chat").contains("Open 8 to 8."));
        var after = routerDeployment("chat");
        assertThat(after.getMetadata().getGeneration())
                .as("the router reloads the knowledge base from its file; its pods are not rolled")
                .isEqualTo(before.getMetadata().getGeneration());
        assertThat(after.getSpec().getTemplate()).isEqualTo(before.getSpec().getTemplate());
    }

    private String pipelineJson(String cluster) {
        var cm = kube.configMaps()
                .inNamespace(ns)
                .withName(Labels.pipelineConfigMap(cluster))
                .get();
        return cm == null || cm.getData() == null ? "" : cm.getData().getOrDefault(Labels.PIPELINE_KEY, "");
    }

    private io.fabric8.kubernetes.api.model.apps.Deployment routerDeployment(String cluster) {
        return kube.apps()
                .deployments()
                .inNamespace(ns)
                .withName(Labels.routerName(cluster))
                .get();
    }

    private long reconciles() {
        return dev.slm.fleet.operator.OperatorMetrics.reconciles("slmcluster")
                + dev.slm.fleet.operator.OperatorMetrics.reconciles("slmworker");
    }

    private java.util.concurrent.Callable<Boolean> quietFor(Duration window) {
        int[] last = {-1};
        Instant[] since = {Instant.now()};
        return () -> {
            int now = (int) operator.writes.count(ns);
            if (now != last[0]) {
                last[0] = now;
                since[0] = Instant.now();
            }
            return Duration.between(since[0], Instant.now()).compareTo(window) >= 0;
        };
    }

    @Test
    void restartedOperatorConvergesWithoutDuplicates() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        kube.resource(worker(ns, "slots", "chat", Task.EXTRACT_SLOTS, 1, "cpu")).create();
        // Stop as soon as the first object exists: mid-reconcile.
        awaitUp()
                .until(() ->
                        !kube.configMaps().inNamespace(ns).list().getItems().isEmpty());
        operator.close();
        long versionBefore =
                routingTable(kube, ns, "chat").map(t -> t.getVersion()).orElse(0L);
        operator = new RunningOperator(config, testConfig());

        awaitEndpoints("classify-intent", 2);
        awaitEndpoints("extract-slots", 1);
        // The routing table is written first in a reconcile; the router's objects follow in the same pass.
        awaitUp().untilAsserted(() -> {
            assertThat(kube.apps().deployments().inNamespace(ns).list().getItems())
                    .extracting(d -> d.getMetadata().getName())
                    .containsExactlyInAnyOrder("intent", "slots", "chat-router");
            assertThat(kube.services().inNamespace(ns).list().getItems())
                    .extracting(s -> s.getMetadata().getName())
                    .containsExactlyInAnyOrder("intent", "slots", "chat-router");
            assertThat(kube.configMaps()
                            .inNamespace(ns)
                            .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                            .list()
                            .getItems())
                    .extracting(c -> c.getMetadata().getName())
                    .containsExactlyInAnyOrder("intent-task", "slots-task", "chat-pipeline", "chat-routing");
        });
        awaitUp().untilAsserted(() -> {
            assertThat(workerPods(kube, ns, "intent")).hasSize(2);
            assertThat(workerPods(kube, ns, "slots")).hasSize(1);
        });
        assertThat(routingTable(kube, ns, "chat").orElseThrow().getVersion()).isGreaterThanOrEqualTo(versionBefore);
    }

    @Test
    void deletingTheResourcesRemovesEverythingTheOperatorCreated() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 1, "cpu"))
                .create();
        awaitEndpoints("classify-intent", 1);

        kube.resources(SlmWorker.class).inNamespace(ns).withName("intent").delete();
        awaitUp().untilAsserted(() -> {
            assertThat(kube.apps()
                            .deployments()
                            .inNamespace(ns)
                            .withName("intent")
                            .get())
                    .isNull();
            assertThat(kube.services().inNamespace(ns).withName("intent").get()).isNull();
            assertThat(kube.policy()
                            .v1()
                            .podDisruptionBudget()
                            .inNamespace(ns)
                            .withName("intent")
                            .get())
                    .isNull();
            assertThat(kube.configMaps().inNamespace(ns).withName("intent-task").get())
                    .isNull();
            assertThat(workerPods(kube, ns, "intent")).isEmpty();
            assertThat(endpoints(kube, ns, "chat", "classify-intent")).isEmpty();
        });

        kube.resources(SlmCluster.class).inNamespace(ns).withName("chat").delete();
        awaitUp().untilAsserted(() -> {
            assertThat(kube.configMaps()
                            .inNamespace(ns)
                            .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                            .list()
                            .getItems())
                    .isEmpty();
            assertThat(kube.apps().deployments().inNamespace(ns).list().getItems())
                    .isEmpty();
            assertThat(kube.services().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(kube.rbac()
                            .roles()
                            .inNamespace(ns)
                            .withName("chat-router")
                            .get())
                    .isNull();
            assertThat(kube.serviceAccounts()
                            .inNamespace(ns)
                            .withName("chat-router")
                            .get())
                    .isNull();
        });
    }

    @Test
    void badSpecsAreRefusedAtAdmissionOrEndInAConditionNamingTheField() {
        SlmWorker longValue = worker(ns, "long-value", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        longValue.getSpec().hardware.nodeSelector = Map.of("zone", "a".repeat(300));
        assertRefused(longValue, "spec.hardware.nodeSelector", "label values of at most 63 characters");

        SlmWorker badKey = worker(ns, "bad-key", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        badKey.getSpec().hardware.nodeSelector = Map.of("not a/label/key", "x");
        assertRefused(badKey, "spec.hardware.nodeSelector", "keys must be label keys");

        SlmWorker badToleration = worker(ns, "bad-toleration", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        badToleration.getSpec().hardware.tolerations = List.of(new io.fabric8.kubernetes.api.model.TolerationBuilder()
                .withKey("k")
                .withOperator("Matches")
                .build());
        assertRefused(badToleration, "spec.hardware.tolerations", "operator must be Exists or Equal");

        SlmCluster noPipeline = cluster(ns, "no-pipeline", ns);
        noPipeline.getSpec().pipeline = List.of();
        assertRefused(noPipeline, "spec.pipeline", "should have at least 1 items");

        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        SlmWorker overLimit = worker(ns, "over-limit", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        overLimit.getSpec().hardware.resources = new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .withRequests(Map.of("memory", new Quantity("2Gi")))
                .withLimits(Map.of("memory", new Quantity("1Gi")))
                .build();
        kube.resource(overLimit).create();

        // Over a MiB of intent examples: the worker is admitted, its task ConfigMap cannot be.
        SlmWorker huge = worker(ns, "huge", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        huge.getSpec().model.parameters = new dev.slm.fleet.api.v1alpha1.TaskParametersSpec();
        huge.getSpec().model.parameters.intents = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            dev.slm.fleet.api.v1alpha1.IntentSpec intent = new dev.slm.fleet.api.v1alpha1.IntentSpec();
            intent.name = "intent-" + i;
            intent.examples = List.of("a".repeat(1000), "b".repeat(1000), "c".repeat(1000), "d".repeat(1000));
            huge.getSpec().model.parameters.intents.add(intent);
        }
        kube.resource(huge).create();

        awaitCondition("over-limit", "Degraded", "True", "InvalidSpec", "spec.hardware.resources.requests.memory");
        awaitCondition("over-limit", "Ready", "False", "InvalidSpec", "spec.hardware.resources.limits.memory");
        awaitCondition("huge", "Degraded", "True", "ApplyRefused", "ConfigMap huge-task");
        awaitCondition("huge", "Ready", "False", "ApplyRefused", "Too long");
        awaitUp().untilAsserted(() -> assertThat(
                        kube.resources(Event.class).inNamespace(ns).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getRegarding().getName()).isEqualTo("huge");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getReason()).isEqualTo("ApplyRefused");
                }));
        assertThat(kube.apps()
                        .deployments()
                        .inNamespace(ns)
                        .withName("over-limit")
                        .get())
                .isNull();
    }

    private void awaitCondition(String worker, String type, String status, String reason, String messagePart) {
        awaitUp().untilAsserted(() -> assertThat(status(worker).getStatus().conditions)
                .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo(type);
                    assertThat(c.getStatus()).isEqualTo(status);
                    assertThat(c.getReason()).isEqualTo(reason);
                    assertThat(c.getMessage()).contains(messagePart);
                }));
    }

    @Test
    void aHandEditOfAManagedDeploymentIsReverted() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        awaitEndpoints("classify-intent", 2);
        var deployment = kube.apps().deployments().inNamespace(ns).withName("intent");
        String image = deployment
                .get()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage();

        deployment.scale(5);
        awaitUp().untilAsserted(() -> assertThat(deployment.get().getSpec().getReplicas())
                .isEqualTo(2));

        String container = deployment
                .get()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getName();
        // As kubectl edit/set image would: a patch, no resourceVersion (the operator may be writing status meanwhile).
        deployment.patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"" + container
                        + "\",\"image\":\"example.invalid/other:1\"}]}}}}");
        awaitUp().untilAsserted(() -> assertThat(deployment
                        .get()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo(image));
    }

    @Test
    void aTaskChangeMidRolloutNeverPublishesAPodOfTheOldTask() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        SlmWorker w = worker(ns, "pool", "chat", Task.CLASSIFY_INTENT, 1, "cpu");
        // 20 of the node's 32 CPUs: the rollout's surge pod cannot start beside the old one.
        w.getSpec().hardware.resources = new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("20")))
                .build();
        kube.resource(w).create();
        awaitEndpoints("classify-intent", 1);
        String oldPod = workerPods(kube, ns, "pool").get(0).getMetadata().getName();

        kube.resources(SlmWorker.class).inNamespace(ns).withName("pool").edit(x -> {
            x.getSpec().task = Task.EXTRACT_SLOTS;
            return x;
        });
        awaitUp().untilAsserted(() -> assertThat(workerPods(kube, ns, "pool")).anySatisfy(p -> {
            assertThat(p.getMetadata().getLabels()).containsEntry(Labels.TASK, "extract-slots");
            assertThat(p.getSpec().getNodeName()).isNull();
        }));
        awaitUp().untilAsserted(() -> assertThat(
                        routingTable(kube, ns, "chat").orElseThrow().getTasksList())
                .anySatisfy(t -> assertThat(t.getTask()).isEqualTo("extract-slots")));
        // The old pod still runs and is ready, yet is published for neither task.
        assertThat(kube.pods().inNamespace(ns).withName(oldPod).get()).matches(Kube::running);
        assertThat(endpoints(kube, ns, "chat", "extract-slots")).isEmpty();
        assertThat(endpoints(kube, ns, "chat", "classify-intent")).isEmpty();

        node("cpu", 0);
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "extract-slots"))
                .singleElement()
                .asString()
                .doesNotStartWith(oldPod + "@"));
    }

    @Test
    void deletingTheSlmClusterLeavesNoServingPods() {
        node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        kube.resource(worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 2, "cpu"))
                .create();
        awaitEndpoints("classify-intent", 2);

        kube.resources(SlmCluster.class).inNamespace(ns).withName("chat").delete();
        awaitUp().untilAsserted(() -> {
            assertThat(workerPods(kube, ns, "intent")).isEmpty();
            assertThat(kube.apps().deployments().inNamespace(ns).list().getItems())
                    .isEmpty();
        });
        awaitCondition("intent", "Ready", "False", "ClusterNotFound", "pods are stopped");

        kube.resource(cluster(ns, "chat", ns)).create();
        awaitEndpoints("classify-intent", 2);
    }

    @Test
    void inNamespacedModeTheOperatorsAccountCannotCreateADeploymentInKubeSystem() throws Exception {
        String operatorNs = ns + "-op";
        String release = "rbac-" + run;
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(operatorNs)
                        .endMetadata()
                        .build())
                .create();
        List<io.fabric8.kubernetes.api.model.HasMetadata> rbac = new ArrayList<>();
        String rendered = Tools.helm(
                "template",
                release,
                "../helm/slm-fleet",
                "--namespace",
                operatorNs,
                "--set",
                "watchNamespaces={" + ns + "}");
        for (var o : kube.load(
                        new java.io.ByteArrayInputStream(rendered.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .items()) {
            if (List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
                    .contains(o.getKind())) {
                rbac.add(kube.resource(o).create());
            }
        }
        // Cluster-wide, the account may only read.
        assertThat(rbac)
                .filteredOn(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.ClusterRole)
                .isNotEmpty()
                .flatExtracting(o -> ((io.fabric8.kubernetes.api.model.rbac.ClusterRole) o).getRules())
                .allSatisfy(r -> assertThat(r.getVerbs()).containsOnly("get", "list", "watch"));
        Config asOperator = new io.fabric8.kubernetes.client.ConfigBuilder(config)
                .withImpersonateUsername("system:serviceaccount:" + operatorNs + ":slm-fleet-operator")
                .withImpersonateGroups(
                        "system:serviceaccounts", "system:serviceaccounts:" + operatorNs, "system:authenticated")
                .build();
        try (KubernetesClient op =
                new KubernetesClientBuilder().withConfig(asOperator).build()) {
            io.fabric8.kubernetes.api.model.apps.Deployment d =
                    new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                            .withNewMetadata()
                            .withName("probe")
                            .endMetadata()
                            .withNewSpec()
                            .withNewSelector()
                            .addToMatchLabels("app", "probe")
                            .endSelector()
                            .withNewTemplate()
                            .withNewMetadata()
                            .addToLabels("app", "probe")
                            .endMetadata()
                            .withNewSpec()
                            .addNewContainer()
                            .withName("c")
                            .withImage("example.invalid/probe:1")
                            .endContainer()
                            .endSpec()
                            .endTemplate()
                            .endSpec()
                            .build();
            op.apps().deployments().inNamespace(ns).resource(d).dryRun().create();
            assertThatThrownBy(() -> op.apps()
                            .deployments()
                            .inNamespace("kube-system")
                            .resource(d)
                            .dryRun()
                            .create())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode())
                            .isEqualTo(403));
        } finally {
            rbac.stream().filter(o -> o.getMetadata().getNamespace() == null).forEach(o -> kube.resource(o)
                    .delete());
            kube.namespaces().withName(operatorNs).delete();
        }
    }

    /**
     * The drill of a real kubelet loss: the GPU node turns NotReady and leaves KWOK's management, so nothing deletes
     * its pods (as on a dead machine). The session-affine generator (a StatefulSet, whose pod a dead kubelet would
     * keep Terminating forever) must serve again from the CPU class. The elapsed time is reported, not asserted.
     */
    @Test
    void aLostGpuNodeMovesTheStatefulGeneratorToTheFallbackClassWithoutWaitingForPodGc() {
        String gpu = node("gpu", 1);
        String cpu = node("cpu", 0);
        kube.resource(cluster(ns, "chat", ns)).create();
        SlmWorker gen = worker(ns, "gen", "chat", Task.GENERATE, 1, "gpu", "cpu");
        gen.getSpec().sessionAffinity = true;
        kube.resource(gen).create();
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "generate"))
                .singleElement()
                .satisfies(e -> assertThat(e).endsWith("@" + gpu)));

        Instant lost = Instant.now();
        cluster.setNodeReady(gpu, false);
        awaitUp().untilAsserted(() -> assertThat(endpoints(kube, ns, "chat", "generate"))
                .singleElement()
                .satisfies(e -> assertThat(e).endsWith("@" + cpu)));
        Duration serving = Duration.between(lost, Instant.now());
        System.out.printf(
                "GPU-loss drill: generator (StatefulSet) serving on class cpu %.1f s after its GPU node went NotReady"
                        + " (grace %d s)%n",
                serving.toMillis() / 1000.0, 3);
        assertThat(status("gen").getStatus().hardwareClass).isEqualTo("cpu");
        assertThat(status("gen").getStatus().fallbackReason).contains("lost");
        assertThat(kube.resources(Event.class).inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("PodOnLostNodeDeleted"));
    }
}
