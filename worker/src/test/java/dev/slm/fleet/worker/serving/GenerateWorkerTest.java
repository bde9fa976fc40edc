package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.SamplingParams;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.Generate.class)
class GenerateWorkerTest {

    @Test
    void generationStreamsTokenChunksAndEndsWithFinishReasonAndCacheReuse() throws Exception {
        try (GrpcTestClient client = new GrpcTestClient()) {
            client.awaitStatus(ServingStatus.SERVING);
            List<GenerateChunk> chunks = new ArrayList<>();
            client.inference
                    .generate(GenerateRequest.newBuilder()
                            .setMeta(GrpcTestClient.meta("chat-1"))
                            .setPrompt("count : one two")
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(5))
                            .build())
                    .forEachRemaining(chunks::add);
            GenerateChunk last = chunks.get(chunks.size() - 1);
            assertTrue(last.getIsEnd());
            assertEquals(FinishReason.FINISH_REASON_LENGTH, last.getFinishReason());
            assertEquals(5, last.getCompletionTokens());
            assertFalse(last.getKvCacheHit());
            StringBuilder text = new StringBuilder();
            chunks.stream().filter(c -> !c.getIsEnd()).forEach(c -> text.append(c.getText()));
            assertEquals("three four five six seven", text.toString());
            assertTrue(chunks.size() >= 6, "one chunk per token plus the end: " + chunks.size());

            List<GenerateChunk> next = new ArrayList<>();
            client.inference
                    .generate(GenerateRequest.newBuilder()
                            .setMeta(GrpcTestClient.meta("chat-1"))
                            .setPrompt("count : one two three four")
                            .setSampling(SamplingParams.newBuilder().addStop("nine"))
                            .build())
                    .forEachRemaining(next::add);
            GenerateChunk end = next.get(next.size() - 1);
            assertTrue(end.getKvCacheHit(), "same session, extended prompt");
            assertEquals(FinishReason.FINISH_REASON_STOP, end.getFinishReason());

            StatusRuntimeException bad = GrpcTestClient.error(() -> client.inference
                    .generate(GenerateRequest.newBuilder()
                            .setMeta(GrpcTestClient.meta("x"))
                            .setPrompt("one")
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(100_000))
                            .build())
                    .hasNext());
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            assertTrue(client.inference
                    .describe(DescribeRequest.getDefaultInstance())
                    .getSessionAffine());
        }
    }
}
