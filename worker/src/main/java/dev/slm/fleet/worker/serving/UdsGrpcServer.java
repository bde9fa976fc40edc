package dev.slm.fleet.worker.serving;

import dev.slm.fleet.worker.config.WorkerConfig;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.quarkus.grpc.GrpcService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The worker's gRPC services on a Unix domain socket as well ({@code slm.worker.grpc.uds-path}), for a router on the
 * same host. A plain grpc-netty server on one epoll event loop whose calls run on that loop (direct executor): the
 * handlers only admit, tokenise and queue, so nothing blocks it, and a call costs no hand-off to another thread
 * before the inference queue. The TCP listener (Quarkus) is unchanged beside it.
 */
@ApplicationScoped
public class UdsGrpcServer {

    private static final Logger LOG = Logger.getLogger(UdsGrpcServer.class);

    @Inject
    @GrpcService
    InferenceGrpcService inference;

    @Inject
    @GrpcService
    HealthGrpcService health;

    @Inject
    WorkerConfig config;

    @ConfigProperty(name = "quarkus.grpc.server.max-inbound-message-size", defaultValue = "4194304")
    int maxInboundMessageSize;

    @ConfigProperty(name = "quarkus.shutdown.timeout", defaultValue = "30s")
    Duration drainTimeout;

    private volatile Server server;
    private volatile EventLoopGroup loop;
    private volatile Path socket;

    void onStart(@Observes StartupEvent event) throws IOException {
        Optional<Path> path = config.grpc()
                .udsPath()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(Path::of);
        if (path.isEmpty()) {
            return;
        }
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("slm.worker.grpc.uds-path needs Linux epoll, which is not available here: "
                    + Epoll.unavailabilityCause());
        }
        Path p = path.get().toAbsolutePath();
        if (p.getParent() != null) {
            Files.createDirectories(p.getParent());
        }
        // a socket file left by a killed worker would make bind fail; a regular file there is someone else's
        if (Files.exists(p) && !Files.isRegularFile(p) && !Files.isDirectory(p)) {
            Files.delete(p);
        }
        loop = new EpollEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "grpc-uds");
            t.setDaemon(true);
            return t;
        });
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(p.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loop)
                .workerEventLoopGroup(loop)
                .directExecutor()
                .maxInboundMessageSize(maxInboundMessageSize)
                .addService(inference)
                .addService(health)
                .build()
                .start();
        socket = p;
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw----"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.warnf("cannot restrict the permissions of %s: %s", p, e.getMessage());
        }
        LOG.infof("gRPC also on unix://%s (one event loop, direct executor)", p);
    }

    void onStop(@Observes ShutdownEvent event) {
        Server s = server;
        if (s == null) {
            return;
        }
        s.shutdown();
        try {
            if (!s.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                s.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.shutdownNow();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warnf("cannot remove %s: %s", socket, e.getMessage());
        }
    }

    /** The socket's path while listening. */
    public Optional<Path> socket() {
        return Optional.ofNullable(socket);
    }
}
