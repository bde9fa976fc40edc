package dev.slm.fleet.worker.serving;

import static dev.slm.fleet.worker.serving.GrpcTestClient.meta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.ClassifyIntentUds.class)
class UdsWorkerTest {

    EpollEventLoopGroup loop;
    ManagedChannel uds;
    GrpcTestClient tcp;

    @BeforeEach
    void connect() {
        loop = new EpollEventLoopGroup(1);
        uds = NettyChannelBuilder.forAddress(new DomainSocketAddress(WorkerTestProfiles.ClassifyIntentUds.SOCKET))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(loop)
                .usePlaintext()
                .build();
        tcp = new GrpcTestClient();
        tcp.awaitStatus(ServingStatus.SERVING);
    }

    @AfterEach
    void close() throws InterruptedException {
        uds.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        tcp.close();
    }

    @Test
    void theSocketServesHealthAndTheSameAnswersAsTcp() {
        Path socket = Path.of(WorkerTestProfiles.ClassifyIntentUds.SOCKET);
        assertThat(Files.exists(socket)).isTrue();
        var health = HealthGrpc.newBlockingStub(uds);
        await().atMost(60, TimeUnit.SECONDS)
                .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
                .until(() -> health.withDeadlineAfter(5, TimeUnit.SECONDS)
                                .check(HealthCheckRequest.newBuilder()
                                        .setService("fleet.slm.v1.InferenceService")
                                        .build())
                                .getStatus()
                        == ServingStatus.SERVING);
        ClassifyRequest req = ClassifyRequest.newBuilder()
                .setMeta(meta("uds-1"))
                .setText("where is my order 12345")
                .build();
        ClassifyResponse overUds = InferenceServiceGrpc.newBlockingStub(uds)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .classify(req);
        ClassifyResponse overTcp = tcp.inference.classify(req);
        assertThat(overUds.getIntent()).isEqualTo(overTcp.getIntent()).isNotEmpty();
        assertThat(overUds.getConfidence()).isEqualTo(overTcp.getConfidence());
    }

    @Test
    void badInputOverTheSocketIsInvalidArgumentNamingTheField() {
        StatusRuntimeException e = GrpcTestClient.error(() -> InferenceServiceGrpc.newBlockingStub(uds)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .classify(ClassifyRequest.newBuilder()
                        .setMeta(meta("uds-2"))
                        .setText("")
                        .build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("text");
    }
}
