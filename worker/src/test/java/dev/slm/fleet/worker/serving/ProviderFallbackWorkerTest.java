package dev.slm.fleet.worker.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.EmbedRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** This machine has no GPU and the CPU ONNX Runtime: a worker asked for cuda serves on cpu and says why. */
@QuarkusTest
@TestProfile(WorkerTestProfiles.CudaFallback.class)
class ProviderFallbackWorkerTest {

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @Test
    void aWorkerAskedForCudaWithoutOneServesOnCpuAndReportsTheFallback() throws Exception {
        try (GrpcTestClient client = new GrpcTestClient()) {
            client.awaitStatus(ServingStatus.SERVING);
            DescribeResponse d = client.inference.describe(DescribeRequest.getDefaultInstance());
            assertEquals("cpu", d.getExecutionProvider(), "never claims a provider it does not run on");
            assertEquals(List.of("cuda", "cpu"), d.getRequestedProvidersList());
            assertEquals("fallback", d.getProviderPolicy());
            assertEquals("gpu", d.getHardwareClass());
            assertThat(d.getProviderFallback()).startsWith("cuda: not in this ONNX Runtime build (it has cpu)");

            client.inference.embed(EmbedRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("s"))
                    .addTexts("where is my order")
                    .build());
            String body;
            try (InputStream in = metrics.openConnection().getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(body)
                    .contains("worker_execution_provider{provider=\"cpu\",requested=\"cuda,cpu\"")
                    .contains("worker_provider_fallback 1.0")
                    .contains("provider=\"cpu\",task=\"embed\"")
                    .doesNotContain("gpu_memory_bytes_used");
            try (InputStream in = ready.openConnection().getInputStream()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                        .as("what the operator reads into SlmWorker status")
                        .containsPattern("\"executionProvider\"\\s*:\\s*\"cpu\"")
                        .containsPattern("\"providerFallback\"\\s*:\\s*\"cuda: not in this ONNX Runtime build");
            }
        }
    }
}
