package dev.slm.fleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviour only a real control plane has: each test would fail against a mock API server. */
@KubeTest
class RealClusterBehaviourTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Map<String, String> GPU_SELECTOR = Map.of("nvidia.com/gpu.present", "true");

    private final KubeCluster cluster;
    private final KubernetesClient client;
    private String ns;

    RealClusterBehaviourTest(KubeCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @BeforeEach
    void createNamespace() {
        ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
        await().atMost(DEADLINE)
                .until(() -> client.serviceAccounts()
                                .inNamespace(ns)
                                .withName("default")
                                .get()
                        != null);
    }

    @AfterEach
    void deleteNamespace() {
        client.namespaces().withName(ns).delete();
    }

    @Test
    void gpuDeploymentLandsOnlyOnGpuNodesAndBecomesReady() {
        client.resource(deployment("gpu-worker", 3, GPU_SELECTOR, "1"))
                .inNamespace(ns)
                .create();

        await().atMost(DEADLINE).until(() -> readyReplicas("gpu-worker") == 3);
        Set<String> gpuNodes = nodesWithLabel("nvidia.com/gpu.present", "true");
        List<Pod> pods = podsOf("gpu-worker");
        assertEquals(3, pods.size());
        for (Pod pod : pods) {
            assertTrue(
                    gpuNodes.contains(pod.getSpec().getNodeName()),
                    pod.getSpec().getNodeName() + " is not a GPU node");
            assertThat(pod.getStatus().getPodIP()).startsWith("127.");
        }
    }

    @Test
    void podRequestingMoreGpusThanAnyNodeHasStaysPendingWithSchedulerReason() {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName("too-greedy")
                .endMetadata()
                .withNewSpec()
                .addToNodeSelector(GPU_SELECTOR)
                .addNewToleration()
                .withKey("nvidia.com/gpu")
                .withOperator("Exists")
                .withEffect("NoSchedule")
                .endToleration()
                .addNewContainer()
                .withName("main")
                .withImage("example.invalid/generator:1")
                .withNewResources()
                .addToLimits("nvidia.com/gpu", new Quantity("64"))
                .endResources()
                .endContainer()
                .endSpec()
                .build();
        client.resource(pod).inNamespace(ns).create();

        await().atMost(DEADLINE).untilAsserted(() -> {
            Pod current = client.pods().inNamespace(ns).withName("too-greedy").get();
            assertEquals("Pending", current.getStatus().getPhase());
            var scheduled = current.getStatus().getConditions().stream()
                    .filter(c -> "PodScheduled".equals(c.getType()))
                    .findFirst()
                    .orElseThrow();
            assertEquals("False", scheduled.getStatus());
            assertEquals("Unschedulable", scheduled.getReason());
            assertThat(scheduled.getMessage()).contains("Insufficient nvidia.com/gpu");
        });
    }

    @Test
    void deletingOwnerGarbageCollectsDependents() {
        ConfigMap owner = client.resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("owner")
                        .endMetadata()
                        .build())
                .inNamespace(ns)
                .create();
        client.resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("dependent")
                        .addNewOwnerReference()
                        .withApiVersion("v1")
                        .withKind("ConfigMap")
                        .withName("owner")
                        .withUid(owner.getMetadata().getUid())
                        .endOwnerReference()
                        .endMetadata()
                        .build())
                .inNamespace(ns)
                .create();

        client.configMaps().inNamespace(ns).withName("owner").delete();

        await().atMost(DEADLINE)
                .until(() -> client.configMaps()
                                .inNamespace(ns)
                                .withName("dependent")
                                .get()
                        == null);
    }

    @Test
    void notReadyNodeEvictsAndReschedulesDeploymentPods() {
        Map<String, String> arm64 = Map.of("node.slm.dev/class", "edge");
        client.resource(deployment("edge-app", 2, arm64, null)).inNamespace(ns).create();
        await().atMost(DEADLINE).until(() -> readyReplicas("edge-app") == 2);
        String victim = podsOf("edge-app").get(0).getSpec().getNodeName();

        cluster.setNodeReady(victim, false);
        try {
            await().atMost(DEADLINE).untilAsserted(() -> {
                List<Pod> live = podsOf("edge-app").stream()
                        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                        .toList();
                assertEquals(2, live.size());
                assertTrue(
                        live.stream().noneMatch(p -> victim.equals(p.getSpec().getNodeName())),
                        "pods still bound to NotReady node " + victim);
                assertTrue(live.stream().allMatch(p -> p.getSpec().getNodeName() != null));
            });
            await().atMost(DEADLINE).until(() -> readyReplicas("edge-app") == 2);
        } finally {
            cluster.setNodeReady(victim, true);
            await().atMost(DEADLINE).until(() -> isReady(victim));
        }
    }

    /**
     * The node lifecycle controller marks a pod Ready=False, leaving ContainersReady True (MarkPodsNotReady), when it
     * turns the pod's node NotReady or sees the pod bound to a node it still holds NotReady; the latter happens when a
     * node comes back and a Pending pod is bound to it before the controller's 2-second health pass has seen it
     * Ready. A real kubelet then reports the pod Ready again from its probes; KWOK's own stages never did (pod-ready
     * runs only for pods without an IP), so the pod stayed unready for good. This applies the controller's exact
     * change and expects what a kubelet does (stage pod-ready-again); without that stage it fails.
     */
    @Test
    void aPodTheNodeControllerMarkedNotReadyIsReportedReadyAgainByItsKubelet() {
        client.resource(deployment("marked", 1, Map.of("node.slm.dev/class", "cpu"), null))
                .inNamespace(ns)
                .create();
        await().atMost(DEADLINE).until(() -> readyReplicas("marked") == 1);
        String pod = podsOf("marked").get(0).getMetadata().getName();

        client.pods()
                .inNamespace(ns)
                .withName(pod)
                .subresource("status")
                .patch(
                        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                                io.fabric8.kubernetes.client.dsl.base.PatchType.STRATEGIC_MERGE),
                        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}");
        await().atMost(DEADLINE).until(() -> podCondition(pod, "Ready").equals("True"));
        assertEquals("True", podCondition(pod, "ContainersReady"));
        await().atMost(DEADLINE).until(() -> readyReplicas("marked") == 1);
    }

    private String podCondition(String pod, String type) {
        Pod p = client.pods().inNamespace(ns).withName(pod).get();
        return p.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .map(c -> c.getStatus())
                .findFirst()
                .orElse("");
    }

    @Test
    void unreadyPodIsReportedByTheDeployment() {
        client.resource(deployment("cpu-app", 2, Map.of("node.slm.dev/class", "cpu"), null))
                .inNamespace(ns)
                .create();
        await().atMost(DEADLINE).until(() -> readyReplicas("cpu-app") == 2);
        String pod = podsOf("cpu-app").get(0).getMetadata().getName();

        cluster.setPodReady(ns, pod, false);
        await().atMost(DEADLINE).until(() -> readyReplicas("cpu-app") == 1);

        cluster.setPodReady(ns, pod, true);
        await().atMost(DEADLINE).until(() -> readyReplicas("cpu-app") == 2);
    }

    @Test
    void deletedNodeDisappearsAndNewNodesJoinReady() {
        cluster.addNodes(
                """
                apiVersion: v1
                kind: Node
                metadata:
                  name: extra-{i}
                  annotations:
                    e2e.slm.dev/count: "2"
                    kwok.x-k8s.io/node: fake
                  labels:
                    type: kwok
                    kubernetes.io/arch: amd64
                status:
                  allocatable: {cpu: "2", memory: 4Gi, pods: "10"}
                  capacity: {cpu: "2", memory: 4Gi, pods: "10"}
                """);
        await().atMost(DEADLINE).until(() -> isReady("extra-0") && isReady("extra-1"));

        cluster.deleteNode("extra-0");
        cluster.deleteNode("extra-1");
        await().atMost(DEADLINE)
                .until(() -> client.nodes().withName("extra-0").get() == null
                        && client.nodes().withName("extra-1").get() == null);
    }

    @Test
    void serverSideApplyRefusesToTakeFieldsOwnedByAnotherManager() {
        ConfigMap mine = new ConfigMapBuilder()
                .withNewMetadata()
                .withName("owned")
                .withNamespace(ns)
                .endMetadata()
                .addToData("replicas", "1")
                .build();
        client.resource(mine).fieldManager("operator").serverSideApply();

        ConfigMap theirs =
                new ConfigMapBuilder(mine).withData(Map.of("replicas", "5")).build();
        KubernetesClientException conflict = assertThrows(
                KubernetesClientException.class,
                () -> client.resource(theirs).fieldManager("gitops").serverSideApply());
        assertEquals(409, conflict.getCode());
        assertThat(conflict.getMessage()).contains("conflict").contains("operator");
        assertEquals(
                "1",
                client.configMaps()
                        .inNamespace(ns)
                        .withName("owned")
                        .get()
                        .getData()
                        .get("replicas"));

        client.resource(theirs).fieldManager("gitops").forceConflicts().serverSideApply();
        assertEquals(
                "5",
                client.configMaps()
                        .inNamespace(ns)
                        .withName("owned")
                        .get()
                        .getData()
                        .get("replicas"));
    }

    @Test
    void crdOpenApiSchemaRejectsInvalidObject() {
        String group = "e2e.slm.dev";
        CustomResourceDefinition crd = Serialization.unmarshal(
                """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: widgets.e2e.slm.dev}
                spec:
                  group: e2e.slm.dev
                  scope: Namespaced
                  names: {plural: widgets, singular: widget, kind: Widget}
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    schema:
                      openAPIV3Schema:
                        type: object
                        properties:
                          spec:
                            type: object
                            required: [replicas]
                            properties:
                              replicas: {type: integer, minimum: 0, maximum: 10}
                """,
                CustomResourceDefinition.class);
        client.resource(crd).serverSideApply();
        await().atMost(DEADLINE).until(() -> client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("widgets.e2e.slm.dev")
                .get()
                .getStatus()
                .getConditions()
                .stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())));
        ResourceDefinitionContext widgets = new ResourceDefinitionContext.Builder()
                .withGroup(group)
                .withVersion("v1")
                .withPlural("widgets")
                .withKind("Widget")
                .withNamespaced(true)
                .build();

        KubernetesClientException invalid =
                assertThrows(KubernetesClientException.class, () -> client.genericKubernetesResources(widgets)
                        .inNamespace(ns)
                        .resource(widget("bad", 42))
                        .create());
        assertEquals(422, invalid.getCode());
        assertThat(invalid.getMessage()).contains("spec.replicas");

        client.genericKubernetesResources(widgets)
                .inNamespace(ns)
                .resource(widget("good", 3))
                .create();
    }

    private static GenericKubernetesResource widget(String name, int replicas) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("e2e.slm.dev/v1")
                .withKind("Widget")
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("replicas", replicas)))
                .build();
    }

    private Deployment deployment(String name, int replicas, Map<String, String> nodeSelector, String gpus) {
        var container = new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("main")
                .withImage("example.invalid/" + name + ":1");
        if (gpus != null) {
            container
                    .withNewResources()
                    .addToLimits("nvidia.com/gpu", new Quantity(gpus))
                    .endResources();
        }
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .addToNodeSelector(nodeSelector)
                .addNewToleration()
                .withKey("nvidia.com/gpu")
                .withOperator("Exists")
                .withEffect("NoSchedule")
                .endToleration()
                .addToContainers(container.build())
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private int readyReplicas(String deployment) {
        Deployment d =
                client.apps().deployments().inNamespace(ns).withName(deployment).get();
        Integer ready =
                d == null || d.getStatus() == null ? null : d.getStatus().getReadyReplicas();
        return ready == null ? 0 : ready;
    }

    private List<Pod> podsOf(String app) {
        return client.pods().inNamespace(ns).withLabel("app", app).list().getItems();
    }

    private Set<String> nodesWithLabel(String key, String value) {
        return client.nodes().withLabel(key, value).list().getItems().stream()
                .map(n -> n.getMetadata().getName())
                .collect(Collectors.toSet());
    }

    private boolean isReady(String node) {
        var n = client.nodes().withName(node).get();
        return n != null
                && n.getStatus().getConditions() != null
                && n.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
