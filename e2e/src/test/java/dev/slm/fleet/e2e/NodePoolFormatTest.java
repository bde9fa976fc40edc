package dev.slm.fleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodePoolFormatTest {

    private static List<Node> defaultPools() throws IOException {
        String yaml = Files.readString(
                Path.of(System.getProperty("slm.e2e.home", ".")).resolve("nodepools/default.yaml"));
        return BaseCluster.expandNodePools(yaml).stream()
                .map(d -> Serialization.unmarshal(d, Node.class))
                .toList();
    }

    @Test
    void defaultPoolsExpandToTenNodesOfFourHardwareClasses() throws IOException {
        List<Node> nodes = defaultPools();

        assertThat(nodes)
                .extracting(n -> n.getMetadata().getName())
                .containsExactly(
                        "gpu-l4-0",
                        "gpu-l4-1",
                        "gpu-l4-2",
                        "cpu-amd64-0",
                        "cpu-amd64-1",
                        "cpu-amd64-2",
                        "edge-arm64-0",
                        "edge-arm64-1",
                        "npu-hailo-0",
                        "npu-hailo-1");
        assertThat(nodes)
                .extracting(n -> n.getMetadata().getLabels().get("node.slm.dev/class"))
                .containsOnly("gpu", "cpu", "edge", "npu");
        assertThat(nodes).allSatisfy(n -> assertThat(n.getMetadata().getAnnotations())
                .containsEntry(BaseCluster.KWOK_MANAGED_ANNOTATION, "fake"));
    }

    @Test
    void gpuNodesCarryNvidiaLabelsCapacityAndTaint() throws IOException {
        Node gpu = defaultPools().get(0);

        assertThat(gpu.getMetadata().getLabels())
                .containsEntry("nvidia.com/gpu.present", "true")
                .containsEntry("nvidia.com/gpu.product", "NVIDIA-L4")
                .containsEntry("kubernetes.io/hostname", "gpu-l4-0");
        assertThat(gpu.getStatus().getAllocatable()).containsEntry("nvidia.com/gpu", new Quantity("2"));
        assertThat(gpu.getSpec().getTaints()).singleElement().satisfies(t -> assertThat(
                        t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                .isEqualTo("nvidia.com/gpu=present:NoSchedule"));
    }
}
