package dev.slm.fleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.SlmWorkerSpec;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.contract.ConfigMaps;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.router.RouterResources;
import dev.slm.fleet.operator.routing.RoutingTables;
import dev.slm.fleet.operator.routing.WorkerRoute;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.router.routing.FileRoutingTableSource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On an IPv6 cluster the table the operator writes is the table the router accepts. */
class Ipv6RoutingTableTest {

    @TempDir
    Path tmp;

    @Test
    void routerAcceptsTheBracketedIpv6TableTheOperatorWrites() throws Exception {
        SlmWorker worker = new SlmWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName("intent").build());
        worker.setSpec(new SlmWorkerSpec());
        worker.getSpec().task = Task.CLASSIFY_INTENT;
        var pod = new PodBuilder()
                .withNewMetadata()
                .withName("intent-0")
                .withLabels(Map.of(Labels.WORKER, "intent", Labels.CLUSTER, "chat", Labels.TASK, "classify-intent"))
                .endMetadata()
                .withNewSpec()
                .withNodeName("n1")
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("fd00::1")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
        var node = new NodeBuilder()
                .withNewMetadata()
                .withName("n1")
                .endMetadata()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
        RoutingTable written = RoutingTables.next(
                "chat",
                "ns",
                RoutingTables.routes(List.of(WorkerRoute.of(worker)), List.of(pod), Map.of("n1", node)),
                Optional.empty());
        var cluster = new dev.slm.fleet.api.v1alpha1.SlmCluster();
        cluster.setMetadata(
                new ObjectMetaBuilder().withName("chat").withNamespace("ns").build());
        String data = RouterResources.routingConfigMap(cluster, RoutingTables.json(written))
                .getData()
                .get(ConfigMaps.ROUTING_KEY);
        Files.writeString(tmp.resolve(ConfigMaps.ROUTING_KEY), data);

        BlockingQueue<RoutingTable> accepted = new ArrayBlockingQueue<>(4);
        FileRoutingTableSource source = new FileRoutingTableSource(tmp.resolve(ConfigMaps.ROUTING_KEY));
        try {
            source.start(accepted::add);
            RoutingTable read = accepted.poll(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
            assertThat(read).isNotNull();
            assertThat(read.getTasks(0).getEndpoints(0).getAddress()).isEqualTo("[fd00::1]:9000");
            assertThat(read).isEqualTo(written);
        } finally {
            source.close();
        }
    }
}
