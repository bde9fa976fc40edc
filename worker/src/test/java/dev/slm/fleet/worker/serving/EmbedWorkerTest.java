package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.EmbedRequest;
import dev.slm.fleet.proto.v1.EmbedResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.Embed.class)
class EmbedWorkerTest {

    @Test
    void embedReturnsNormalisedVectorsAndRefusesOversizedBatches() throws Exception {
        try (GrpcTestClient client = new GrpcTestClient()) {
            client.awaitStatus(ServingStatus.SERVING);
            EmbedResponse r = client.inference.embed(EmbedRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("e"))
                    .addAllTexts(List.of("where is my order", "track my package", "the weather on mars"))
                    .build());
            assertEquals(384, r.getDimensions());
            assertEquals(3, r.getEmbeddingsCount());
            float[][] v = new float[3][384];
            for (int i = 0; i < 3; i++) {
                double norm = 0;
                for (int d = 0; d < 384; d++) {
                    v[i][d] = r.getEmbeddings(i).getValues(d);
                    norm += v[i][d] * v[i][d];
                }
                assertEquals(1.0, norm, 1e-4);
            }
            assertTrue(dot(v[0], v[1]) > dot(v[0], v[2]), "related texts are closer");
            assertEquals(
                    384,
                    client.inference
                            .describe(DescribeRequest.getDefaultInstance())
                            .getEmbeddingDimensions());
            var e = GrpcTestClient.error(() -> client.inference.embed(EmbedRequest.newBuilder()
                    .addAllTexts(List.of("a", "b", "c", "d", "e"))
                    .build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("max-batch=4"));
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
