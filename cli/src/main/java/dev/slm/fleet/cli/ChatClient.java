package dev.slm.fleet.cli;

import dev.slm.fleet.proto.v1.ChatEvent;
import dev.slm.fleet.proto.v1.ChatRequest;
import dev.slm.fleet.proto.v1.ChatSummary;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.RouterServiceGrpc;
import dev.slm.fleet.proto.v1.Slot;
import dev.slm.fleet.proto.v1.StageTiming;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The terminal chat: sends each line to RouterService.Chat and prints intent, slots, the streamed answer, the path
 * that served it and per-stage timings. {@code java ... ChatClient 127.0.0.1:19080 [--once "text"]}.
 */
public final class ChatClient implements AutoCloseable {

    private final ManagedChannel channel;
    private final RouterServiceGrpc.RouterServiceBlockingStub stub;
    private final String session = "local-" + UUID.randomUUID().toString().substring(0, 8);
    private final PrintStream out;

    public ChatClient(String target, PrintStream out) {
        this.channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        this.stub = RouterServiceGrpc.newBlockingStub(channel);
        this.out = out;
    }

    /** Sends one message and prints the events; returns true when an answer came back. */
    public boolean ask(String text, Priority priority) {
        ChatRequest req = ChatRequest.newBuilder()
                .setText(text)
                .setMeta(RequestMeta.newBuilder().setSessionId(session).setPriority(priority))
                .build();
        boolean answering = false;
        try {
            Iterator<ChatEvent> events =
                    stub.withDeadlineAfter(30, TimeUnit.SECONDS).chat(req);
            while (events.hasNext()) {
                ChatEvent e = events.next();
                switch (e.getEventCase()) {
                    case INTENT ->
                        out.printf(
                                "  intent : %s (confidence %.2f)%n",
                                e.getIntent().getIntent(), e.getIntent().getConfidence());
                    case SLOTS -> {
                        StringBuilder sb = new StringBuilder();
                        for (Slot s : e.getSlots().getSlotsList()) {
                            sb.append(sb.isEmpty() ? "" : ", ")
                                    .append(s.getName())
                                    .append('=')
                                    .append(s.getValue());
                        }
                        out.printf("  slots  : %s%n", sb.isEmpty() ? "(none)" : sb);
                    }
                    case TOKEN -> {
                        if (!answering) {
                            out.print("  answer : ");
                            answering = true;
                        }
                        out.print(e.getToken().getText());
                        out.flush();
                    }
                    case SUMMARY -> {
                        if (answering) {
                            out.println();
                        }
                        printSummary(e.getSummary());
                    }
                    default -> {}
                }
            }
            return true;
        } catch (StatusRuntimeException e) {
            if (answering) {
                out.println();
            }
            out.printf(
                    "  error  : %s %s%n", e.getStatus().getCode(), e.getStatus().getDescription());
            return false;
        }
    }

    private void printSummary(ChatSummary s) {
        String path = s.getServedBy()
                .name()
                .replace("SERVED_BY_", "")
                .toLowerCase(Locale.ROOT)
                .replace('_', ' ');
        out.printf("  path   : %s — %s%n", path, s.getReason());
        StringBuilder sb = new StringBuilder();
        for (StageTiming t : s.getStagesList()) {
            sb.append(sb.isEmpty() ? "" : ", ")
                    .append(t.getStage())
                    .append(' ')
                    .append(String.format(Locale.ROOT, "%.1f ms", t.getLatencyMs()));
            if (!"ok".equals(t.getStatus())) {
                sb.append(" (").append(t.getStatus()).append(')');
            }
        }
        out.printf(
                "  timing : %s | total %.1f ms%s%s%n",
                sb,
                s.getTotalLatencyMs(),
                s.getTimeToFirstTokenMs() > 0
                        ? String.format(Locale.ROOT, ", first token %.1f ms", s.getTimeToFirstTokenMs())
                        : "",
                s.getCompletionTokens() > 0
                        ? String.format(
                                Locale.ROOT,
                                " | tokens %d in, %d out%s",
                                s.getPromptTokens(),
                                s.getCompletionTokens(),
                                s.getKvCacheHit() ? ", kv cache hit" : "")
                        : "");
    }

    /** Reads lines until EOF or "exit"; returns the number of failed requests. */
    public int repl(boolean interactive) throws java.io.IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int failures = 0;
        while (true) {
            if (interactive) {
                out.print("you> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("exit") || line.strip().equals("quit")) {
                return failures;
            }
            if (line.isBlank()) {
                continue;
            }
            if (!interactive) {
                out.println("you> " + line);
            }
            if (!ask(line.strip(), Priority.PRIORITY_STANDARD)) {
                failures++;
            }
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ChatClient host:port [--once text]");
            System.exit(2);
        }
        try (ChatClient client = new ChatClient(args[0], System.out)) {
            if (args.length >= 3 && args[1].equals("--once")) {
                System.exit(client.ask(args[2], Priority.PRIORITY_STANDARD) ? 0 : 1);
            }
            System.exit(client.repl(System.console() != null) == 0 ? 0 : 1);
        }
    }
}
