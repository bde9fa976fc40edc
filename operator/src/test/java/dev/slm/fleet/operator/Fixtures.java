package dev.slm.fleet.operator;

import dev.slm.fleet.api.v1alpha1.*;
import io.fabric8.kubernetes.api.model.*;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Objects for pure-function tests. */
public final class Fixtures {
    public static final String SHA = "a".repeat(64);

    private Fixtures() {}

    public static SlmCluster cluster(String name) {
        SlmCluster c = new SlmCluster();
        c.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace("ns")
                .withUid("uid-" + name)
                .withGeneration(1L)
                .build());
        SlmClusterSpec spec = new SlmClusterSpec();
        StageSpec understand = new StageSpec();
        understand.tasks = List.of(Task.CLASSIFY_INTENT, Task.EXTRACT_SLOTS);
        StageSpec generate = new StageSpec();
        generate.tasks = List.of(Task.GENERATE);
        spec.pipeline = List.of(understand, generate);
        c.setSpec(spec);
        return c;
    }

    public static SlmWorker worker(String name, Task task, String hwClass, String... fallbacks) {
        SlmWorker w = new SlmWorker();
        w.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace("ns")
                .withUid("uid-" + name)
                .withGeneration(1L)
                .build());
        SlmWorkerSpec spec = new SlmWorkerSpec();
        spec.cluster = "chat";
        spec.task = task;
        spec.model = new ModelSpec();
        spec.model.uri = "builtin:all-minilm-l6-v2-q";
        spec.model.sha256 = SHA;
        spec.model.quantization = Quantization.INT8;
        spec.hardware = new HardwareSpec();
        spec.hardware.className = hwClass;
        spec.hardware.fallbackClasses = fallbacks.length == 0 ? null : List.of(fallbacks);
        spec.replicas = 2;
        w.setSpec(spec);
        return w;
    }

    public static Node node(String name, boolean ready, Map<String, String> labels, Map<String, String> allocatable) {
        NodeBuilder b = new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .endStatus();
        Node n = b.build();
        allocatable.forEach((k, v) -> {
            if (n.getStatus().getAllocatable() == null) n.getStatus().setAllocatable(new java.util.HashMap<>());
            n.getStatus().getAllocatable().put(k, new Quantity(v));
        });
        return n;
    }

    public static Node gpuNode(String name, int gpus) {
        return node(
                name,
                true,
                Map.of("nvidia.com/gpu.present", "true"),
                Map.of("nvidia.com/gpu", Integer.toString(gpus), "cpu", "8"));
    }

    public static Node cpuNode(String name) {
        return node(name, true, Map.of("kubernetes.io/arch", "amd64"), Map.of("cpu", "8"));
    }

    /** A pod of a worker; node null means unscheduled (Pending as unschedulable since {@code since}). */
    public static Pod pod(
            String name,
            String worker,
            String task,
            String hwClass,
            String node,
            String ip,
            boolean ready,
            Instant since) {
        PodBuilder b = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("ns")
                .withLabels(Map.of(
                        Labels.WORKER,
                        worker,
                        Labels.CLUSTER,
                        "chat",
                        Labels.TASK,
                        task,
                        Labels.HARDWARE_CLASS,
                        hwClass))
                .withAnnotations(Map.of(Labels.MODEL_SHA256, SHA))
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("worker")
                .withNewResources()
                .withRequests("gpu".equals(hwClass) ? Map.of("nvidia.com/gpu", new Quantity("1")) : Map.of())
                .endResources()
                .endContainer()
                .endSpec();
        if (node == null) {
            b.withNewStatus()
                    .withPhase("Pending")
                    .addNewCondition()
                    .withType("PodScheduled")
                    .withStatus("False")
                    .withReason("Unschedulable")
                    .withLastTransitionTime(since.toString())
                    .endCondition()
                    .endStatus();
        } else {
            b.withNewStatus()
                    .withPhase("Running")
                    .withPodIP(ip)
                    .addNewCondition()
                    .withType("Ready")
                    .withStatus(ready ? "True" : "False")
                    .endCondition()
                    .endStatus();
        }
        return b.build();
    }
}
