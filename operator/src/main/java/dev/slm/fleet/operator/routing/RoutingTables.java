package dev.slm.fleet.operator.routing;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.placement.Nodes;
import dev.slm.fleet.operator.placement.Pods;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The routing table of one SlmCluster: per task, the endpoints of pods that are Running and Ready on a Ready node and
 * run that task (their own task label, set from the pod template they were created from, matches the SlmWorker's
 * current task: during a rollout that changes the task, pods still running the old one are published for neither).
 * Pure: the same workers, pods and nodes always give the same table and hash.
 */
public final class RoutingTables {
    private RoutingTables() {}

    public static List<TaskRoute> routes(
            Collection<WorkerRoute> workers, Collection<Pod> pods, Map<String, Node> nodes) {
        Map<String, WorkerRoute> byName = new TreeMap<>();
        workers.forEach(w -> byName.put(w.name(), w));
        Map<String, TaskRoute.Builder> byTask = new TreeMap<>();
        for (WorkerRoute w : byName.values()) {
            TaskRoute.Builder route = byTask.computeIfAbsent(
                    w.task().value(),
                    t -> TaskRoute.newBuilder().setTask(t).setTaskEnum(w.task().proto()));
            route.setSessionAffine(route.getSessionAffine() || w.sessionAffine());
            if (w.latencyBudgetMs() > 0
                    && (route.getLatencyBudgetMs() == 0 || w.latencyBudgetMs() < route.getLatencyBudgetMs())) {
                route.setLatencyBudgetMs(w.latencyBudgetMs());
            }
        }
        Map<String, List<Endpoint>> endpoints = new TreeMap<>();
        for (Pod pod : pods) {
            Map<String, String> labels = pod.getMetadata().getLabels();
            if (labels == null) continue;
            WorkerRoute w = byName.get(labels.get(Labels.WORKER));
            if (w == null || !w.task().value().equals(labels.get(Labels.TASK)) || !serving(pod, nodes)) continue;
            Endpoint.Builder e = Endpoint.newBuilder()
                    .setAddress(address(pod.getStatus().getPodIP(), Labels.GRPC_PORT))
                    .setPod(pod.getMetadata().getName())
                    .setNode(pod.getSpec().getNodeName())
                    .setWeight(1)
                    .setWorker(w.name());
            Optional.ofNullable(labels.get(Labels.HARDWARE_CLASS)).ifPresent(e::setHardwareClass);
            Optional.ofNullable(pod.getMetadata().getAnnotations())
                    .map(a -> a.get(Labels.MODEL_SHA256))
                    .ifPresent(e::setModelDigest);
            endpoints.computeIfAbsent(w.task().value(), t -> new ArrayList<>()).add(e.build());
        }
        List<TaskRoute> routes = new ArrayList<>();
        byTask.forEach((task, route) -> {
            List<Endpoint> list = endpoints.getOrDefault(task, List.of()).stream()
                    .sorted(Comparator.comparing(Endpoint::getAddress).thenComparing(Endpoint::getPod))
                    .toList();
            routes.add(route.addAllEndpoints(list).build());
        });
        return routes;
    }

    /** A pod is routable when it is Running and Ready, not terminating, has an IP, and its node is Ready. */
    public static boolean serving(Pod pod, Map<String, Node> nodes) {
        if (!Pods.isReady(pod)) return false;
        if (pod.getStatus().getPodIP() == null || pod.getStatus().getPodIP().isBlank()) return false;
        String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        return nodeName != null && Nodes.isReady(nodes.get(nodeName));
    }

    static String address(String ip, int port) {
        return RoutingTableCodec.address(ip, port);
    }

    public static String contentHash(List<TaskRoute> routes) {
        return RoutingTableCodec.contentHash(routes);
    }

    /** The next table: same version when the content is unchanged, else the previous version plus one. */
    public static RoutingTable next(
            String cluster, String namespace, List<TaskRoute> routes, Optional<RoutingTable> previous) {
        String hash = contentHash(routes);
        long version = previous.map(p -> hash.equals(p.getContentHash()) ? p.getVersion() : p.getVersion() + 1)
                .orElse(1L);
        return RoutingTable.newBuilder()
                .setCluster(cluster)
                .setNamespace(namespace)
                .setVersion(version)
                .setContentHash(hash)
                .addAllTasks(routes)
                .build();
    }

    public static String json(RoutingTable table) {
        return RoutingTableCodec.toJson(table);
    }

    /** The previous table, when there is a valid one (an invalid table is replaced, never built upon). */
    public static Optional<RoutingTable> parse(String json) {
        if (json == null || json.isBlank()) return Optional.empty();
        try {
            return Optional.of(RoutingTableCodec.parse(json));
        } catch (RoutingTableCodec.InvalidRoutingTableException e) {
            return Optional.empty();
        }
    }

    public static int endpointCount(RoutingTable table) {
        return table.getTasksList().stream()
                .mapToInt(TaskRoute::getEndpointsCount)
                .sum();
    }
}
