package dev.slm.fleet.router.routing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.router.testing.RoutingFiles;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class RoutingTableSourcesTest {

    KubernetesClient client;

    @Test
    void aChangedRoutingFileAppliesWithinASecondAndABrokenOneKeepsTheLastGoodTable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("routing-table.json");
        RoutingTable v1 =
                RoutingFiles.table().task("classify-intent", "127.0.0.1:7001").build();
        RoutingFiles.write(file, v1);
        AtomicReference<RoutingTable> seen = new AtomicReference<>();
        try (FileRoutingTableSource source = new FileRoutingTableSource(file)) {
            source.start(seen::set);
            assertEquals(v1, seen.get());
            RoutingTable v2 = RoutingFiles.table()
                    .task("classify-intent", "127.0.0.1:7001", "127.0.0.1:7002")
                    .build();
            RoutingFiles.write(file, v2);
            await().atMost(Duration.ofSeconds(1)).until(() -> v2.equals(seen.get()));
            RoutingTable v3 =
                    RoutingFiles.table().task("generate", "127.0.0.1:7003").build();
            Files.writeString(file, "{\"tasks\": [{\"task\": \"x\", \"endpoints\": [{\"address\": \"no port\"}]}]}");
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> v2.equals(seen.get()));
            Files.writeString(file, "not json");
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> v2.equals(seen.get()));
            RoutingFiles.write(file, v3);
            await().atMost(Duration.ofSeconds(1)).until(() -> v3.equals(seen.get()));
        }
    }

    @Test
    void theConfigMapSourceFollowsTheNamedConfigMapAndIgnoresBadValues() {
        RoutingTable v1 =
                RoutingFiles.table().task("classify-intent", "127.0.0.1:7001").build();
        client.configMaps()
                .inNamespace("fleet")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("chatbot-routing")
                        .endMetadata()
                        .addToData(ConfigMapRoutingTableSource.KEY, RoutingTableCodec.toJson(v1))
                        .build())
                .create();
        AtomicReference<RoutingTable> seen = new AtomicReference<>();
        try (ConfigMapRoutingTableSource source =
                new ConfigMapRoutingTableSource(client, "fleet/chatbot-routing", false)) {
            source.start(seen::set);
            await().atMost(Duration.ofSeconds(5)).until(() -> v1.equals(seen.get()));
            client.configMaps().inNamespace("fleet").withName("chatbot-routing").edit(cm -> new ConfigMapBuilder(cm)
                    .addToData(ConfigMapRoutingTableSource.KEY, "{broken")
                    .build());
            RoutingTable v2 =
                    RoutingFiles.table().task("generate", "127.0.0.1:7002").build();
            client.configMaps().inNamespace("fleet").withName("chatbot-routing").edit(cm -> new ConfigMapBuilder(cm)
                    .addToData(ConfigMapRoutingTableSource.KEY, RoutingTableCodec.toJson(v2))
                    .build());
            await().atMost(Duration.ofSeconds(5)).until(() -> v2.equals(seen.get()));
            client.configMaps().inNamespace("fleet").withName("chatbot-routing").delete();
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> v2.equals(seen.get()));
        }
    }
}
