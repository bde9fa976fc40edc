package dev.slm.fleet.router.balancing;

import dev.slm.fleet.proto.v1.Endpoint;
import io.grpc.ManagedChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** One worker endpoint: its reused channel, outstanding requests, and passive-health state. */
public final class EndpointState {

    private final String address;
    private final ManagedChannel channel;
    private volatile Endpoint endpoint;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong ejectedUntilNanos = new AtomicLong();

    EndpointState(Endpoint endpoint, ManagedChannel channel) {
        this.address = endpoint.getAddress();
        this.endpoint = endpoint;
        this.channel = channel;
    }

    public String address() {
        return address;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    void update(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    public ManagedChannel channel() {
        return channel;
    }

    public int weight() {
        return Math.max(1, endpoint.getWeight());
    }

    public int outstanding() {
        return outstanding.get();
    }

    /** Outstanding requests per unit of weight: what both balancing policies compare. */
    double load() {
        return (outstanding.get() + 1.0) / weight();
    }

    public void begin() {
        outstanding.incrementAndGet();
    }

    public void succeeded() {
        outstanding.decrementAndGet();
        consecutiveFailures.set(0);
    }

    /** Records a failure; returns true when this failure ejected the endpoint. */
    public boolean failed(HealthPolicy policy) {
        outstanding.decrementAndGet();
        int failures = consecutiveFailures.incrementAndGet();
        if (failures >= policy.failureThreshold()) {
            consecutiveFailures.set(0);
            ejectedUntilNanos.set(System.nanoTime() + policy.coolOff().toNanos());
            return true;
        }
        return false;
    }

    /** A failure the endpoint is not to blame for (cancelled by the client, deadline of a queued call). */
    public void abandoned() {
        outstanding.decrementAndGet();
    }

    public boolean ejected() {
        long until = ejectedUntilNanos.get();
        return until != 0 && System.nanoTime() - until < 0;
    }
}
