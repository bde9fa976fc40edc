package dev.slm.fleet.router.testing;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.EmbedRequest;
import dev.slm.fleet.proto.v1.EmbedResponse;
import dev.slm.fleet.proto.v1.Embedding;
import dev.slm.fleet.proto.v1.ExtractSlotsRequest;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.InputLimitExceeded;
import dev.slm.fleet.proto.v1.Slot;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST DOUBLE: an in-process InferenceService on 127.0.0.1 (random port) whose answers and faults each test sets.
 * It stands in for a worker where a real one is not what the test is about.
 */
public final class FakeInferenceService extends InferenceServiceGrpc.InferenceServiceImplBase implements AutoCloseable {

    public enum GenerateMode {
        NORMAL,
        FAIL_UNAVAILABLE,
        HANG,
        DIE_AFTER_FIRST_TOKEN
    }

    public volatile String intent = "order_status";
    public volatile float confidence = 0.9f;
    public volatile List<Slot> slots = List.of(Slot.newBuilder()
            .setName("order_id")
            .setValue("12345")
            .setText("12345")
            .setSource("number")
            .build());
    public volatile List<String> tokens = List.of("Your ", "order ", "is ", "on ", "its ", "way.");
    public volatile long tokenDelayMs = 0;
    public volatile GenerateMode generateMode = GenerateMode.NORMAL;
    public volatile Status failUnary;
    /** What Describe reports; 0 = no limit. */
    public volatile int maxInputBytes;

    public volatile int maxInputTokens;
    /** When set, classify, extract-slots and generate refuse the input as a worker over its limit does. */
    public volatile InputLimitExceeded refuseInput;

    public final AtomicInteger classifyCalls = new AtomicInteger();
    public final AtomicInteger describeCalls = new AtomicInteger();
    public final AtomicInteger slotsCalls = new AtomicInteger();
    public final AtomicInteger generateCalls = new AtomicInteger();
    public final AtomicInteger generateCancelled = new AtomicInteger();
    public final List<String> prompts = new CopyOnWriteArrayList<>();
    public final List<GenerateRequest> generateRequests = new CopyOnWriteArrayList<>();
    public final Map<String, AtomicInteger> sessions = new ConcurrentHashMap<>();

    private final Server server;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    public FakeInferenceService() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(this)
                .build()
                .start();
    }

    public String address() {
        return "127.0.0.1:" + server.getPort();
    }

    public void kill() {
        server.shutdownNow();
    }

    @Override
    public void close() {
        server.shutdownNow();
        timer.shutdownNow();
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> out) {
        describeCalls.incrementAndGet();
        out.onNext(DescribeResponse.newBuilder()
                .setMaxInputBytes(maxInputBytes)
                .setMaxInputTokens(maxInputTokens)
                .build());
        out.onCompleted();
    }

    private boolean refused(StreamObserver<?> out) {
        InputLimitExceeded x = refuseInput;
        if (x == null) {
            return false;
        }
        Metadata trailers = new Metadata();
        trailers.put(ProtoUtils.keyForProto(InputLimitExceeded.getDefaultInstance()), x);
        out.onError(Status.INVALID_ARGUMENT
                .withDescription(
                        x.getField() + " is " + x.getActual() + ", over the limit " + x.getLimit() + "=" + x.getMax())
                .asRuntimeException(trailers));
        return true;
    }

    @Override
    public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> out) {
        classifyCalls.incrementAndGet();
        if (refused(out)) {
            return;
        }
        if (failUnary != null) {
            out.onError(failUnary.asRuntimeException());
            return;
        }
        out.onNext(ClassifyResponse.newBuilder()
                .setIntent(intent)
                .setConfidence(confidence)
                .setLatencyMs(0.1)
                .build());
        out.onCompleted();
    }

    @Override
    public void extractSlots(ExtractSlotsRequest request, StreamObserver<ExtractSlotsResponse> out) {
        slotsCalls.incrementAndGet();
        if (refused(out)) {
            return;
        }
        if (failUnary != null) {
            out.onError(failUnary.asRuntimeException());
            return;
        }
        out.onNext(ExtractSlotsResponse.newBuilder().addAllSlots(slots).build());
        out.onCompleted();
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> out) {
        EmbedResponse.Builder b = EmbedResponse.newBuilder().setDimensions(3);
        for (String t : request.getTextsList()) {
            b.addEmbeddings(Embedding.newBuilder()
                    .addValues(t.length())
                    .addValues(t.indexOf('o'))
                    .addValues(1));
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateChunk> responses) {
        generateCalls.incrementAndGet();
        prompts.add(request.getPrompt());
        generateRequests.add(request);
        sessions.computeIfAbsent(request.getMeta().getSessionId(), s -> new AtomicInteger())
                .incrementAndGet();
        ServerCallStreamObserver<GenerateChunk> out = (ServerCallStreamObserver<GenerateChunk>) responses;
        out.setOnCancelHandler(generateCancelled::incrementAndGet);
        if (refused(out)) {
            return;
        }
        switch (generateMode) {
            case FAIL_UNAVAILABLE ->
                out.onError(
                        Status.UNAVAILABLE.withDescription("fake: not serving").asRuntimeException());
            case HANG -> {} // never answers; the caller's deadline or cancellation ends it
            default -> sendToken(out, 0);
        }
    }

    public static final int PROMPT_TOKENS = 11;

    private void sendToken(ServerCallStreamObserver<GenerateChunk> out, int i) {
        if (out.isCancelled()) {
            return;
        }
        List<String> t = tokens;
        if (i == t.size()) {
            out.onNext(GenerateChunk.newBuilder()
                    .setIsEnd(true)
                    .setFinishReason(FinishReason.FINISH_REASON_STOP)
                    .setIndex(i)
                    .setPromptTokens(PROMPT_TOKENS)
                    .setCompletionTokens(t.size())
                    .build());
            out.onCompleted();
            return;
        }
        out.onNext(GenerateChunk.newBuilder().setText(t.get(i)).setIndex(i).build());
        if (generateMode == GenerateMode.DIE_AFTER_FIRST_TOKEN) {
            out.onError(Status.UNAVAILABLE.withDescription("fake: worker died").asRuntimeException());
            return;
        }
        if (tokenDelayMs > 0) {
            timer.schedule(() -> sendToken(out, i + 1), tokenDelayMs, TimeUnit.MILLISECONDS);
        } else {
            sendToken(out, i + 1);
        }
    }
}
