package dev.slm.fleet.worker.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.EmbedRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.CudaRefused.class)
class ProviderRefusedWorkerTest {

    @Inject
    WorkerRuntime runtime;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @Test
    void aWorkerAskedForCudaWithPolicyRefuseIsNotServingAndSaysWhy() throws Exception {
        await().atMost(60, TimeUnit.SECONDS).until(() -> runtime.state() == ServingState.FAILED);
        assertThat(runtime.reason())
                .contains("execution provider cuda cannot load")
                .contains("slm.worker.provider-policy is refuse");
        try (GrpcTestClient client = new GrpcTestClient()) {
            assertEquals(ServingStatus.NOT_SERVING, client.status());
            StatusRuntimeException e = GrpcTestClient.error(() -> client.inference.embed(EmbedRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("s"))
                    .addTexts("hello")
                    .build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertThat(e.getStatus().getDescription()).contains("cuda cannot load");
            DescribeResponse d = client.inference.describe(DescribeRequest.getDefaultInstance());
            assertEquals("", d.getExecutionProvider(), "no provider is claimed for a model that is not loaded");
            assertEquals("refuse", d.getProviderPolicy());
        }
        HttpURLConnection r = (HttpURLConnection) ready.openConnection();
        assertEquals(503, r.getResponseCode());
        try (InputStream err = r.getErrorStream()) {
            assertThat(new String(err.readAllBytes(), StandardCharsets.UTF_8)).contains("cuda cannot load");
        }
    }
}
