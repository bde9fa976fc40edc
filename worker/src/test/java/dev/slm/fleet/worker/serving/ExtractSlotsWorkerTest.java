package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ExtractSlotsRequest;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.Slot;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.ExtractSlots.class)
class ExtractSlotsWorkerTest {

    @Test
    void slotsFromTheBioModelAndBuiltinsComeBackWithSpans() throws Exception {
        try (GrpcTestClient client = new GrpcTestClient()) {
            client.awaitStatus(ServingStatus.SERVING);
            String text = "my laptop case from order 12345, mail me at a.b@example.org";
            ExtractSlotsResponse r = client.inference.extractSlots(ExtractSlotsRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("slots"))
                    .setText(text)
                    .build());
            Slot product = r.getSlotsList().stream()
                    .filter(s -> s.getName().equals("product"))
                    .findFirst()
                    .orElseThrow();
            assertEquals("laptop case", text.substring(product.getStart(), product.getEnd()));
            assertEquals("model", product.getSource());
            Slot order = r.getSlotsList().stream()
                    .filter(s -> s.getName().equals("order_id"))
                    .findFirst()
                    .orElseThrow();
            assertEquals("12345", order.getValue());
            assertTrue(r.getSlotsList().stream().anyMatch(s -> s.getName().equals("email")));
        }
    }
}
