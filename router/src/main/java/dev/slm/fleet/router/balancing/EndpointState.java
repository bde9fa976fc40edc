package dev.slm.fleet.router.balancing;

import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** One worker endpoint: its reused channel, outstanding requests, passive-health state and what it describes. */
public final class EndpointState {
    private static final long DESCRIBE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long DESCRIBE_DEADLINE_MS = 5000;

    private final String address;
    private final ManagedChannel channel;
    private volatile Endpoint endpoint;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong ejectedUntilNanos = new AtomicLong();
    private volatile DescribeResponse description;
    private final AtomicBoolean describing = new AtomicBoolean();
    private volatile long lastDescribeNanos;

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

    /** The worker's DescribeResponse (its task's input limits among it); null until it answered. */
    public DescribeResponse description() {
        return description;
    }

    /**
     * Asks the worker to describe itself unless it has, or an attempt is running or failed within the last second;
     * never blocks. A worker without Describe (UNIMPLEMENTED) counts as described with nothing.
     */
    void describe() {
        if (description != null
                || (lastDescribeNanos != 0 && System.nanoTime() - lastDescribeNanos < DESCRIBE_RETRY_NANOS)
                || !describing.compareAndSet(false, true)) {
            return;
        }
        lastDescribeNanos = System.nanoTime();
        InferenceServiceGrpc.newStub(channel)
                .withDeadlineAfter(DESCRIBE_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .describe(DescribeRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(DescribeResponse value) {
                        description = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (Status.fromThrowable(t).getCode() == Status.Code.UNIMPLEMENTED) {
                            description = DescribeResponse.getDefaultInstance();
                        }
                        describing.set(false);
                    }

                    @Override
                    public void onCompleted() {
                        describing.set(false);
                    }
                });
    }
}
