package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.GenerateRequest;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(HealthTransitionWorkerTest.HeldModel.class)
class HealthTransitionWorkerTest {

    /** The tiny LM over http from {@link HeldModelServer}, which holds the download until released. */
    public static class HeldModel extends WorkerTestProfiles.Base {
        public HeldModel() {
            super(Map.of(
                    "slm.worker.task",
                    "generate",
                    "slm.worker.model.tokenizer-uri",
                    "src/test/resources/models/tiny-lm-tokenizer.json",
                    "slm.worker.model.sha256",
                    "8aea4ce7e73e930dec6529cf436277b89e667086a31b45f7e9131b8e5b97f73c"));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(HeldModelServer.class));
        }
    }

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/health/started")
    URL started;

    @Test
    void healthGoesFromNotServingWhileLoadingToServingAfterWarmUp() throws Exception {
        try (GrpcTestClient client = new GrpcTestClient()) {
            List<ServingStatus> watched = new CopyOnWriteArrayList<>();
            HealthGrpc.newStub(client.channel)
                    .watch(
                            HealthCheckRequest.newBuilder()
                                    .setService("fleet.slm.v1.InferenceService")
                                    .build(),
                            new StreamObserver<>() {
                                public void onNext(HealthCheckResponse r) {
                                    watched.add(r.getStatus());
                                }

                                public void onError(Throwable t) {}

                                public void onCompleted() {}
                            });
            await().atMost(30, TimeUnit.SECONDS).until(() -> !watched.isEmpty());

            assertEquals(ServingStatus.NOT_SERVING, client.status(), "model download is held");
            assertEquals(503, ((HttpURLConnection) ready.openConnection()).getResponseCode());
            assertEquals(503, ((HttpURLConnection) started.openConnection()).getResponseCode());
            var e = GrpcTestClient.error(() -> client.inference
                    .generate(GenerateRequest.newBuilder()
                            .setMeta(GrpcTestClient.meta("early"))
                            .setPrompt("one")
                            .build())
                    .hasNext());
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("LOADING"),
                    e.getStatus().getDescription());

            String release = ConfigProvider.getConfig().getValue("test.model-release-url", String.class);
            assertEquals(204, ((HttpURLConnection) URI.create(release).toURL().openConnection()).getResponseCode());

            client.awaitStatus(ServingStatus.SERVING);
            await().atMost(30, TimeUnit.SECONDS).until(() -> watched.contains(ServingStatus.SERVING));
            assertEquals(List.of(ServingStatus.NOT_SERVING, ServingStatus.SERVING), watched);
            assertEquals(200, ((HttpURLConnection) ready.openConnection()).getResponseCode());
            assertEquals(200, ((HttpURLConnection) started.openConnection()).getResponseCode());
        }
    }
}
