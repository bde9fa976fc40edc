package dev.slm.fleet.operator.bench;

import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * For a control plane without KWOK: what KWOK does for the benchmark's nodes and pods, in-process. Bound pods of the
 * namespace become Running and Ready with a 127.0.0.0/8 IP; nodes of the run get a Ready heartbeat every 10 s.
 */
final class KubeletSimulator {
    private KubeletSimulator() {}

    static void start(KubernetesClient kube, String run) {
        AtomicInteger ip = new AtomicInteger(1);
        ExecutorService patcher = Executors.newFixedThreadPool(4);
        kube.pods().inNamespace(run).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                onUpdate(null, pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                if (pod.getSpec().getNodeName() == null
                        || pod.getStatus() == null
                        || !"Pending".equals(pod.getStatus().getPhase())) return;
                if (pod.getMetadata().getDeletionTimestamp() != null) return;
                int n = ip.getAndIncrement();
                String address = "127." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
                String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
                patcher.submit(() -> kube.pods()
                        .inNamespace(run)
                        .withName(pod.getMetadata().getName())
                        .editStatus(p -> {
                            p.getStatus().setPhase("Running");
                            p.getStatus().setPodIP(address);
                            p.getStatus()
                                    .setPodIPs(List.of(
                                            new PodIPBuilder().withIp(address).build()));
                            p.getStatus()
                                    .setConditions(List.of(
                                            new PodConditionBuilder()
                                                    .withType("PodScheduled")
                                                    .withStatus("True")
                                                    .withLastTransitionTime(now)
                                                    .build(),
                                            new PodConditionBuilder()
                                                    .withType("Ready")
                                                    .withStatus("True")
                                                    .withLastTransitionTime(now)
                                                    .build(),
                                            new PodConditionBuilder()
                                                    .withType("ContainersReady")
                                                    .withStatus("True")
                                                    .withLastTransitionTime(now)
                                                    .build()));
                            return p;
                        }));
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {}
        });
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor();
        // A throwing task would cancel the schedule: every failure is caught per node.
        heartbeat.scheduleWithFixedDelay(
                () -> {
                    try {
                        kube.nodes()
                                .withLabel("bench.fleet.slm.dev/pool", run)
                                .list()
                                .getItems()
                                .forEach(node -> {
                                    String now = Instant.now()
                                            .truncatedTo(ChronoUnit.SECONDS)
                                            .toString();
                                    try {
                                        kube.nodes()
                                                .withName(node.getMetadata().getName())
                                                .editStatus(n -> {
                                                    n.getStatus()
                                                            .setConditions(List.of(new NodeConditionBuilder()
                                                                    .withType("Ready")
                                                                    .withStatus("True")
                                                                    .withReason("KubeletReady")
                                                                    .withLastHeartbeatTime(now)
                                                                    .withLastTransitionTime(now)
                                                                    .build()));
                                                    return n;
                                                });
                                    } catch (RuntimeException e) {
                                        System.err.println("[bench] heartbeat of "
                                                + node.getMetadata().getName() + " failed: " + e.getMessage());
                                    }
                                });
                    } catch (RuntimeException e) {
                        System.err.println("[bench] heartbeat failed: " + e.getMessage());
                    }
                },
                0,
                5,
                TimeUnit.SECONDS);
    }
}
