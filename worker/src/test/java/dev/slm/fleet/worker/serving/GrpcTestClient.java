package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.function.Executable;

/** A plain grpc-java client on loopback, as the router and grpc_health_probe would connect. */
final class GrpcTestClient implements AutoCloseable {

    final ManagedChannel channel;
    final InferenceServiceGrpc.InferenceServiceBlockingStub inference;
    final InferenceServiceGrpc.InferenceServiceStub async;
    final HealthGrpc.HealthBlockingStub health;

    GrpcTestClient() {
        int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .build();
        inference = InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        async = InferenceServiceGrpc.newStub(channel);
        health = HealthGrpc.newBlockingStub(channel);
    }

    HealthOuterClass.HealthCheckResponse.ServingStatus status() {
        return health.withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthOuterClass.HealthCheckRequest.newBuilder()
                        .setService("")
                        .build())
                .getStatus();
    }

    void awaitStatus(HealthOuterClass.HealthCheckResponse.ServingStatus expected) {
        // on a loaded machine a single check can outlast its own deadline; the next poll tries again
        await().atMost(60, TimeUnit.SECONDS)
                .pollInterval(50, TimeUnit.MILLISECONDS)
                .ignoreExceptionsInstanceOf(io.grpc.StatusRuntimeException.class)
                .until(() -> status() == expected);
    }

    static RequestMeta meta(String session) {
        return RequestMeta.newBuilder()
                .setSessionId(session)
                .setRequestId("req-" + session)
                .setPriority(Priority.PRIORITY_STANDARD)
                .build();
    }

    static StatusRuntimeException error(Executable call) {
        return assertThrows(StatusRuntimeException.class, call);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
