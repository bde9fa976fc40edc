package dev.slm.fleet.router.api;

import dev.slm.fleet.proto.v1.ChatEvent;
import dev.slm.fleet.proto.v1.ChatRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.RouterServiceGrpc;
import dev.slm.fleet.router.RouterRuntime;
import dev.slm.fleet.router.pipeline.ChatInput;
import dev.slm.fleet.router.pipeline.ChatListener;
import dev.slm.fleet.router.pipeline.Pipeline;
import dev.slm.fleet.router.pipeline.PlanExecution;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The gRPC front: RouterService.Chat streams intent, slots, answer pieces, then a summary. */
@GrpcService
public class RouterGrpcService extends RouterServiceGrpc.RouterServiceImplBase {

    public static final Metadata.Key<String> RETRY_AFTER =
            Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

    @Inject
    RouterRuntime runtime;

    @Override
    public void chat(ChatRequest request, StreamObserver<ChatEvent> responses) {
        ServerCallStreamObserver<ChatEvent> out = (ServerCallStreamObserver<ChatEvent>) responses;
        Pipeline pipeline = runtime.pipeline();
        String text = request.getText();
        if (text.isBlank()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("text is empty").asRuntimeException());
            return;
        }
        if (text.length() > runtime.maxMessageChars()) {
            out.onError(Status.INVALID_ARGUMENT
                    .withDescription("text has " + text.length()
                            + " characters; the limit is " + runtime.maxMessageChars()
                            + " (slm.router.limits.max-message-chars)")
                    .asRuntimeException());
            return;
        }
        PriorityClass priority = pipeline.settings().priority(request.getMeta().getPriority());
        long now = System.nanoTime();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(pipeline.settings().defaultDeadlineMs());
        if (Context.current().getDeadline() != null) {
            deadline = Math.min(deadline, now + Context.current().getDeadline().timeRemaining(TimeUnit.NANOSECONDS));
        }
        if (request.getMeta().getDeadlineUnixMs() > 0) {
            long ms = request.getMeta().getDeadlineUnixMs() - System.currentTimeMillis();
            deadline = Math.min(deadline, now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, ms)));
        }
        String requestId = request.getMeta().getRequestId().isEmpty()
                ? UUID.randomUUID().toString()
                : request.getMeta().getRequestId();
        ChatInput input = new ChatInput(
                text,
                request.getHistoryList(),
                request.getMeta().getSessionId(),
                priority,
                deadline,
                request.getSampling(),
                requestId,
                true);
        PlanExecution exec = pipeline.start(input, new ChatListener() {
            private int index;

            private void send(ChatEvent e) {
                synchronized (out) {
                    if (!out.isCancelled()) {
                        out.onNext(e);
                    }
                }
            }

            @Override
            public void onIntent(ClassifyResponse intent) {
                send(ChatEvent.newBuilder().setIntent(intent).build());
            }

            @Override
            public void onSlots(ExtractSlotsResponse slots) {
                send(ChatEvent.newBuilder().setSlots(slots).build());
            }

            @Override
            public void onToken(String t) {
                synchronized (out) {
                    send(ChatEvent.newBuilder()
                            .setToken(GenerateChunk.newBuilder().setText(t).setIndex(index++))
                            .build());
                }
            }

            @Override
            public void onComplete(ChatResult result) {
                synchronized (out) {
                    if (out.isCancelled()) {
                        return;
                    }
                    out.onNext(
                            ChatEvent.newBuilder().setSummary(result.summary()).build());
                    out.onCompleted();
                }
            }

            @Override
            public void onRejected(Rejection r) {
                Status status =
                        switch (r.kind()) {
                            case SHED -> Status.RESOURCE_EXHAUSTED;
                            case UNAVAILABLE -> Status.UNAVAILABLE;
                            case DEADLINE -> Status.DEADLINE_EXCEEDED;
                            case INVALID_INPUT -> Status.INVALID_ARGUMENT;
                            default -> Status.INTERNAL;
                        };
                Metadata trailers = new Metadata();
                if (r.retryAfterSeconds() > 0) {
                    trailers.put(RETRY_AFTER, Integer.toString(r.retryAfterSeconds()));
                }
                synchronized (out) {
                    if (!out.isCancelled()) {
                        out.onError(status.withDescription(r.message()).asRuntimeException(trailers));
                    }
                }
            }
        });
        out.setOnCancelHandler(exec::cancel);
    }
}
