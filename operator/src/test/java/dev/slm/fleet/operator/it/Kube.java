package dev.slm.fleet.operator.it;

import dev.slm.fleet.api.v1alpha1.*;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.routing.RoutingTables;
import dev.slm.fleet.proto.v1.RoutingTable;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Objects and look-ups for the integration tests: KWOK nodes, hardware classes scoped to one test, CRs. */
final class Kube {
    static final String POOL = "it.fleet.slm.dev/pool";
    static final String KIND = "it.fleet.slm.dev/kind";
    static final String SHA = "b".repeat(64);

    private Kube() {}

    static void installCrds(KubernetesClient kube) throws Exception {
        try (var files = Files.list(Path.of(System.getProperty("slm.crds.committed", "../crds")))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).toList()) {
                try (var in = Files.newInputStream(f)) {
                    kube.load(in).forceConflicts().serverSideApply();
                }
            }
        }
        for (String crd : List.of("slmclusters.fleet.slm.dev", "slmworkers.fleet.slm.dev")) {
            kube.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(crd)
                    .waitUntilCondition(
                            c -> c != null
                                    && c.getStatus() != null
                                    && c.getStatus().getConditions().stream()
                                            .anyMatch(x ->
                                                    "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                            60,
                            java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** A KWOK-managed node of one test's pool; {@code gpus} > 0 makes it a GPU node. */
    static Node kwokNode(String name, String pool, String kind, int gpus) {
        Map<String, Quantity> allocatable = new HashMap<>(
                Map.of("cpu", new Quantity("32"), "memory", new Quantity("128Gi"), "pods", new Quantity("110")));
        if (gpus > 0) allocatable.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of(POOL, pool, KIND, kind, "type", "kwok", "kubernetes.io/hostname", name))
                .withAnnotations(Map.of("kwok.x-k8s.io/node", "fake", "node.alpha.kubernetes.io/ttl", "0"))
                .endMetadata()
                .withNewStatus()
                .withAllocatable(allocatable)
                .withCapacity(allocatable)
                .endStatus()
                .build();
    }

    static HardwareClass poolClass(String pool, String kind, String resource) {
        HardwareClass c = new HardwareClass();
        c.name = kind;
        c.nodeSelector = Map.of(POOL, pool, KIND, kind);
        c.resourceName = resource;
        return c;
    }

    static SlmCluster cluster(String ns, String name, String pool) {
        SlmCluster c = new SlmCluster();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        c.setSpec(new SlmClusterSpec());
        c.getSpec().hardwareClasses = List.of(poolClass(pool, "gpu", "nvidia.com/gpu"), poolClass(pool, "cpu", null));
        StageSpec understand = new StageSpec();
        understand.tasks = List.of(Task.CLASSIFY_INTENT);
        c.getSpec().pipeline = List.of(understand);
        c.getSpec().healthCheck = new HealthCheckSpec();
        c.getSpec().healthCheck.unschedulableGraceSeconds = 3;
        c.getSpec().router = new RouterSpec();
        c.getSpec().router.replicas = 0;
        return c;
    }

    static SlmWorker worker(
            String ns, String name, String cluster, Task task, int replicas, String hwClass, String... fallbacks) {
        SlmWorker w = new SlmWorker();
        w.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        SlmWorkerSpec s = new SlmWorkerSpec();
        s.cluster = cluster;
        s.task = task;
        s.replicas = replicas;
        s.model = new ModelSpec();
        s.model.uri = "builtin:all-minilm-l6-v2-q";
        s.model.sha256 = SHA;
        s.model.quantization = Quantization.INT8;
        s.hardware = new HardwareSpec();
        s.hardware.className = hwClass;
        s.hardware.fallbackClasses = fallbacks.length == 0 ? null : List.of(fallbacks);
        w.setSpec(s);
        return w;
    }

    static Optional<RoutingTable> routingTable(KubernetesClient kube, String ns, String cluster) {
        ConfigMap cm = kube.configMaps()
                .inNamespace(ns)
                .withName(Labels.routingConfigMap(cluster))
                .get();
        return cm == null || cm.getData() == null
                ? Optional.empty()
                : RoutingTables.parse(cm.getData().get(Labels.ROUTING_KEY));
    }

    static List<String> endpoints(KubernetesClient kube, String ns, String cluster, String task) {
        return routingTable(kube, ns, cluster).stream()
                .flatMap(t -> t.getTasksList().stream())
                .filter(r -> r.getTask().equals(task))
                .flatMap(r -> r.getEndpointsList().stream())
                .map(e -> e.getPod() + "@" + e.getNode())
                .sorted()
                .toList();
    }

    static List<Pod> workerPods(KubernetesClient kube, String ns, String worker) {
        return kube.pods().inNamespace(ns).withLabel(Labels.WORKER, worker).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
    }

    static boolean running(Pod p) {
        return p.getSpec().getNodeName() != null
                && p.getStatus() != null
                && "Running".equals(p.getStatus().getPhase())
                && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
