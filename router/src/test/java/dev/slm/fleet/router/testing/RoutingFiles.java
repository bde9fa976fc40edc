package dev.slm.fleet.router.testing;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Builds routing tables and writes them atomically, as the operator or local mode would. */
public final class RoutingFiles {

    private static final AtomicLong VERSION = new AtomicLong(System.currentTimeMillis());
    private final Map<String, TaskRoute.Builder> routes = new LinkedHashMap<>();

    public static RoutingFiles table() {
        return new RoutingFiles();
    }

    public RoutingFiles task(String task, boolean sessionAffine, String... addresses) {
        TaskRoute.Builder r =
                routes.computeIfAbsent(task, t -> TaskRoute.newBuilder().setTask(t));
        r.setSessionAffine(sessionAffine);
        for (String a : addresses) {
            r.addEndpoints(Endpoint.newBuilder().setAddress(a).setWeight(1).setPod("fake-" + a));
        }
        return this;
    }

    /** The stage latency budget the operator publishes from SlmWorker.spec.latencyBudgetMs. */
    public RoutingFiles budget(String task, int ms) {
        routes.computeIfAbsent(task, t -> TaskRoute.newBuilder().setTask(t)).setLatencyBudgetMs(ms);
        return this;
    }

    public RoutingFiles task(String task, String... addresses) {
        return task(task, false, addresses);
    }

    public RoutingTable build() {
        RoutingTable.Builder b = RoutingTable.newBuilder()
                .setCluster("test-fleet")
                .setNamespace("test")
                .setVersion(VERSION.incrementAndGet());
        routes.values().forEach(b::addTasks);
        return b.build();
    }

    public static void write(Path file, RoutingTable table) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, RoutingTableCodec.toJson(table));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static List<String> all(FakeInferenceService... fakes) {
        return java.util.Arrays.stream(fakes).map(FakeInferenceService::address).toList();
    }
}
