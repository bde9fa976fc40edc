package dev.slm.fleet.router.balancing;

import dev.slm.fleet.contract.EndpointAddress;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Turns routing tables into per-task balancers. Keeps one gRPC channel per endpoint address, reused across table
 * versions and tasks, and closes it when the address leaves the table.
 */
public final class EndpointRegistry implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EndpointRegistry.class);

    private final Function<String, BalancingPolicy> policyForTask;
    private final Function<String, ManagedChannel> channelFactory;
    private final Map<String, EndpointState> byAddress = new ConcurrentHashMap<>();
    private final Map<String, TaskBalancer.SessionBindings> bindings = new ConcurrentHashMap<>();
    private volatile Map<String, TaskBalancer> balancers = Map.of();
    private volatile RoutingTable table;

    public EndpointRegistry(Function<String, BalancingPolicy> policyForTask) {
        this(policyForTask, EndpointRegistry::plaintextChannel);
    }

    public EndpointRegistry(
            Function<String, BalancingPolicy> policyForTask, Function<String, ManagedChannel> channelFactory) {
        this.policyForTask = policyForTask;
        this.channelFactory = channelFactory;
    }

    /** host:port over TCP, or {@code unix:///path} over a Unix domain socket (a worker on this host; Linux epoll). */
    static ManagedChannel plaintextChannel(String address) {
        Optional<String> socket = EndpointAddress.unixPath(address);
        NettyChannelBuilder b;
        if (socket.isPresent()) {
            if (!Epoll.isAvailable()) {
                throw new IllegalStateException("endpoint " + address + " needs Linux epoll for Unix domain sockets: "
                        + Epoll.unavailabilityCause());
            }
            b = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.get()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(UdsLoop.GROUP);
        } else {
            b = NettyChannelBuilder.forTarget(address);
        }
        return b.usePlaintext()
                .directExecutor()
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build();
    }

    /** One epoll event loop shared by every Unix-socket channel, created on first use. */
    private static final class UdsLoop {
        static final EventLoopGroup GROUP = new EpollEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "grpc-uds-client");
            t.setDaemon(true);
            return t;
        });
    }

    public synchronized void apply(RoutingTable next) {
        Set<String> present = new HashSet<>();
        Map<String, TaskBalancer> nextBalancers = new HashMap<>();
        for (TaskRoute route : next.getTasksList()) {
            List<EndpointState> states = new ArrayList<>();
            Set<String> taskAddresses = new HashSet<>();
            for (Endpoint endpoint : route.getEndpointsList()) {
                if (!taskAddresses.add(endpoint.getAddress())) {
                    continue;
                }
                present.add(endpoint.getAddress());
                EndpointState state = byAddress.computeIfAbsent(endpoint.getAddress(), a -> {
                    ManagedChannel channel = channelFactory.apply(a);
                    channel.getState(true); // connect now, not on the first request
                    return new EndpointState(endpoint, channel);
                });
                state.update(endpoint);
                states.add(state);
            }
            TaskBalancer.SessionBindings sessionBindings =
                    bindings.computeIfAbsent(route.getTask(), t -> new TaskBalancer.SessionBindings(100_000));
            sessionBindings.retainAddresses(taskAddresses);
            nextBalancers.put(
                    route.getTask(),
                    new TaskBalancer(route, states, policyForTask.apply(route.getTask()), sessionBindings));
        }
        balancers = Map.copyOf(nextBalancers);
        table = next;
        for (var it = byAddress.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!present.contains(entry.getKey())) {
                it.remove();
                entry.getValue().channel().shutdown();
                LOG.infof("endpoint %s left the routing table; channel closed", entry.getKey());
            }
        }
        byAddress.values().forEach(EndpointState::describe);
        LOG.infof("routing table version %d applied: %s", next.getVersion(), summary(nextBalancers));
    }

    private static String summary(Map<String, TaskBalancer> balancers) {
        StringBuilder sb = new StringBuilder();
        balancers.forEach((task, b) ->
                sb.append(task).append('=').append(b.endpoints().size()).append(' '));
        return sb.toString().trim();
    }

    /** The balancer for a task; an empty one when the table does not name the task. */
    public TaskBalancer balancer(String task) {
        TaskBalancer b = balancers.get(task);
        return b != null
                ? b
                : new TaskBalancer(
                        TaskRoute.newBuilder().setTask(task).build(),
                        List.of(),
                        BalancingPolicy.LEAST_OUTSTANDING,
                        new TaskBalancer.SessionBindings(1));
    }

    public RoutingTable table() {
        return table;
    }

    public Set<String> openChannels() {
        return Set.copyOf(byAddress.keySet());
    }

    @Override
    public synchronized void close() {
        byAddress.values().forEach(s -> s.channel().shutdownNow());
        byAddress.clear();
    }
}
