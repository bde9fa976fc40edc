package dev.slm.fleet.worker.serving;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.function.Consumer;

/**
 * grpc.health.v1.Health, driven by the model's state: SERVING only once the model is loaded and warmed up.
 * (Quarkus' built-in health service is disabled: it reports SERVING as soon as the server starts.)
 */
@GrpcService
public class HealthGrpcService extends HealthGrpc.HealthImplBase {

    static final Set<String> KNOWN = Set.of("", "fleet.slm.v1.InferenceService");

    @Inject
    WorkerRuntime runtime;

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
        if (!KNOWN.contains(request.getService())) {
            observer.onError(Status.NOT_FOUND
                    .withDescription("unknown service " + request.getService())
                    .asRuntimeException());
            return;
        }
        observer.onNext(response(runtime.state()));
        observer.onCompleted();
    }

    @Override
    public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
        ServerCallStreamObserver<HealthCheckResponse> call = (ServerCallStreamObserver<HealthCheckResponse>) observer;
        if (!KNOWN.contains(request.getService())) {
            observer.onError(Status.NOT_FOUND
                    .withDescription("unknown service " + request.getService())
                    .asRuntimeException());
            return;
        }
        Object lock = new Object();
        ServingStatus[] last = {null};
        Consumer<ServingState> listener = s -> {
            ServingStatus status = response(s).getStatus();
            synchronized (lock) {
                if (status != last[0] && !call.isCancelled()) {
                    last[0] = status;
                    observer.onNext(response(s));
                }
            }
        };
        call.setOnCancelHandler(() -> runtime.removeListener(listener));
        runtime.addListener(listener);
        listener.accept(runtime.state());
    }

    static HealthCheckResponse response(ServingState state) {
        return HealthCheckResponse.newBuilder()
                .setStatus(state == ServingState.SERVING ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)
                .build();
    }
}
