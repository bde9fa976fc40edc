package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ClassifyRequest;
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
@TestProfile(WorkerTestProfiles.DigestMismatch.class)
class DigestMismatchWorkerTest {

    @Inject
    WorkerRuntime runtime;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/health/live")
    URL live;

    @Test
    void aModelThatIsNotThePinnedOneIsNeverServed() throws Exception {
        await().atMost(60, TimeUnit.SECONDS).until(() -> runtime.state() == ServingState.FAILED);
        assertTrue(runtime.reason().contains("refusing to serve"), runtime.reason());
        try (GrpcTestClient client = new GrpcTestClient()) {
            assertEquals(ServingStatus.NOT_SERVING, client.status());
            StatusRuntimeException e = GrpcTestClient.error(() -> client.inference.classify(ClassifyRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("x"))
                    .setText("where is my order")
                    .build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("sha256"),
                    e.getStatus().getDescription());
        }
        HttpURLConnection r = (HttpURLConnection) ready.openConnection();
        assertEquals(503, r.getResponseCode());
        try (InputStream err = r.getErrorStream()) {
            assertTrue(new String(err.readAllBytes(), StandardCharsets.UTF_8).contains("refusing to serve"));
        }
        assertEquals(200, ((HttpURLConnection) live.openConnection()).getResponseCode(), "no restart loop");
    }
}
