package dev.slm.fleet.router.balancing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.contract.EndpointAddress;
import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketChannelTest {

    @Test
    void aUnixEndpointIsReachedOverItsSocket(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("intent.sock");
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loop)
                .workerEventLoopGroup(loop)
                .addService(new InferenceServiceGrpc.InferenceServiceImplBase() {
                    @Override
                    public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> out) {
                        out.onNext(ClassifyResponse.newBuilder()
                                .setIntent("echo:" + request.getText())
                                .build());
                        out.onCompleted();
                    }
                })
                .build()
                .start();
        ManagedChannel channel = EndpointRegistry.plaintextChannel(EndpointAddress.unix(socket.toString()));
        try {
            ClassifyResponse r = InferenceServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .classify(ClassifyRequest.newBuilder().setText("hi").build());
            assertEquals("echo:hi", r.getIntent());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMalformedUnixAddressIsAClearError() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> EndpointRegistry.plaintextChannel("unix://relative.sock"));
        assertTrue(e.getMessage().contains("unix://relative.sock"), e.getMessage());
    }
}
