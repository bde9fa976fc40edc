package dev.slm.fleet.router.api;

import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.proto.v1.ChatSummary;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.proto.v1.Slot;
import dev.slm.fleet.proto.v1.StageTiming;
import dev.slm.fleet.router.RouterRuntime;
import dev.slm.fleet.router.pipeline.ChatInput;
import dev.slm.fleet.router.pipeline.ChatListener;
import dev.slm.fleet.router.pipeline.Pipeline;
import dev.slm.fleet.router.pipeline.PlanExecution;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The HTTP front: OpenAI-compatible chat completions (with SSE streaming), /v1/models, and a simple /chat. */
@ApplicationScoped
public class HttpFront {

    @Inject
    RouterRuntime runtime;

    void routes(@Observes Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(runtime.maxBodyBytes());
        router.post("/v1/chat/completions")
                .handler(body)
                .handler(this::chatCompletions)
                .failureHandler(this::failure);
        router.post("/chat").handler(body).handler(this::simpleChat).failureHandler(this::failure);
        router.get("/v1/models").handler(this::models);
        router.get("/v1/models/:id").handler(this::model);
        router.get("/router/routing-table").handler(this::routingTable);
    }

    private RequestErrors tooLarge() {
        return new RequestErrors(
                413,
                "invalid_request_error",
                "request_too_large",
                null,
                "request body exceeds the limit of " + runtime.maxBodyBytes()
                        + " bytes (slm.router.limits.max-body-bytes)");
    }

    private void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t instanceof RequestErrors e) {
            sendError(ctx, e);
        } else if (ctx.statusCode() == 413) {
            sendError(ctx, tooLarge());
        } else if (ctx.statusCode() == 400 || t instanceof IllegalArgumentException) {
            sendError(ctx, RequestErrors.invalid(null, "invalid_request", t == null ? "bad request" : t.getMessage()));
        } else {
            sendError(
                    ctx,
                    new RequestErrors(
                            500, "server_error", "internal_error", null, t == null ? "internal error" : t.toString()));
        }
    }

    static void sendError(RoutingContext ctx, RequestErrors e) {
        HttpServerResponse r = ctx.response();
        if (r.headWritten()) {
            r.end();
            return;
        }
        r.setStatusCode(e.status)
                .putHeader("Content-Type", "application/json")
                .end(errorBody(e.getMessage(), e.type, e.code, e.param).encode());
    }

    static JsonObject errorBody(String message, String type, String code, String param) {
        return new JsonObject()
                .put(
                        "error",
                        new JsonObject()
                                .put("message", message)
                                .put("type", type)
                                .put("param", param)
                                .put("code", code));
    }

    private record Parsed(JsonObject body, ChatInput input) {}

    private Parsed parse(RoutingContext ctx, boolean openAi) {
        String text = ChatRequestParser.utf8(
                ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
        JsonObject body = ChatRequestParser.json(text);
        Pipeline pipeline = runtime.pipeline();
        String message;
        java.util.List<dev.slm.fleet.proto.v1.ChatMessage> history;
        boolean streaming;
        if (openAi) {
            String model = ChatRequestParser.string(body, "model");
            if (model == null || model.isBlank()) {
                throw RequestErrors.invalid(
                        "model",
                        "missing_model",
                        "'model' is required; this router serves '"
                                + pipeline.settings().modelId() + "'");
            }
            if (!model.equals(pipeline.settings().modelId())) {
                throw new RequestErrors(
                        404,
                        "invalid_request_error",
                        "model_not_found",
                        "model",
                        "The model '" + model + "' does not exist; this router serves '"
                                + pipeline.settings().modelId() + "'");
            }
            message = ChatRequestParser.lastUserMessage(body, runtime.maxMessageChars());
            history = ChatRequestParser.history(body);
            streaming = ChatRequestParser.bool(body, "stream");
        } else {
            String t = ChatRequestParser.string(body, "text");
            if (t == null) {
                t = ChatRequestParser.string(body, "message");
            }
            if (t == null) {
                throw RequestErrors.invalid("text", "missing_text", "'text' is required");
            }
            message = ChatRequestParser.checkText(t, runtime.maxMessageChars(), "text");
            history = java.util.List.of();
            streaming = false;
        }
        SamplingParams sampling = openAi ? ChatRequestParser.sampling(body) : SamplingParams.getDefaultInstance();
        String priorityName = ctx.request().getHeader("X-Priority");
        if (priorityName == null) {
            priorityName = ChatRequestParser.string(body, "priority");
        }
        PriorityClass priority = pipeline.settings().priority(priorityName);
        if (priority == null) {
            throw RequestErrors.invalid(
                    "priority",
                    "unknown_priority",
                    "unknown priority class '" + priorityName + "'; defined: "
                            + pipeline.settings().priorities().keySet());
        }
        String session = ctx.request().getHeader("X-Session-Id");
        if (session == null) {
            session = ChatRequestParser.string(body, openAi ? "user" : "session_id");
        }
        long timeoutMs = pipeline.settings().defaultDeadlineMs();
        String timeoutHeader = ctx.request().getHeader("X-Request-Timeout-Ms");
        if (timeoutHeader != null) {
            try {
                timeoutMs = Math.min(timeoutMs, Math.max(1, Long.parseLong(timeoutHeader.trim())));
            } catch (NumberFormatException e) {
                throw RequestErrors.invalid(null, "invalid_header", "X-Request-Timeout-Ms is not a number");
            }
        }
        String requestId = UUID.randomUUID().toString();
        return new Parsed(
                body,
                new ChatInput(
                        message,
                        history,
                        session,
                        priority,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs),
                        sampling,
                        requestId,
                        streaming));
    }

    private void chatCompletions(RoutingContext ctx) {
        Parsed parsed = parse(ctx, true);
        String model = runtime.pipeline().settings().modelId();
        if (parsed.input().streaming()) {
            stream(ctx, parsed.input(), model);
        } else {
            whole(ctx, parsed.input(), model, true);
        }
    }

    private void simpleChat(RoutingContext ctx) {
        Parsed parsed = parse(ctx, false);
        whole(ctx, parsed.input(), runtime.pipeline().settings().modelId(), false);
    }

    private void whole(RoutingContext ctx, ChatInput input, String model, boolean openAi) {
        Context vctx = Vertx.currentContext();
        StringBuilder answer = new StringBuilder();
        PlanExecution exec = runtime.pipeline().start(input, new ChatListener() {
            @Override
            public void onToken(String text) {
                synchronized (answer) {
                    answer.append(text);
                }
            }

            @Override
            public void onComplete(ChatResult result) {
                vctx.runOnContext(v -> {
                    if (ctx.response().closed() || ctx.response().ended()) {
                        return;
                    }
                    ChatSummary s = result.summary();
                    JsonObject body = openAi ? completion(input, model, s.getText(), result) : simple(input, result);
                    ctx.response()
                            .putHeader("Content-Type", "application/json")
                            .putHeader("X-SLM-Served-By", servedBy(s))
                            .end(body.encode());
                });
            }

            @Override
            public void onRejected(Rejection r) {
                vctx.runOnContext(v -> reject(ctx, r, openAi ? "messages" : "text"));
            }
        });
        ctx.response().closeHandler(v -> exec.cancel());
    }

    private void stream(RoutingContext ctx, ChatInput input, String model) {
        Context vctx = Vertx.currentContext();
        String id = "chatcmpl-" + input.requestId();
        long created = System.currentTimeMillis() / 1000;
        HttpServerResponse resp = ctx.response();
        PlanExecution exec = runtime.pipeline().start(input, new ChatListener() {
            boolean started;

            private void begin() {
                if (started || resp.closed()) {
                    return;
                }
                started = true;
                resp.setChunked(true)
                        .putHeader("Content-Type", "text/event-stream")
                        .putHeader("Cache-Control", "no-cache")
                        .putHeader("X-Accel-Buffering", "no");
                event(chunk(
                        id,
                        created,
                        model,
                        new JsonObject().put("role", "assistant").put("content", ""),
                        null));
            }

            private void event(JsonObject json) {
                if (!resp.closed()) {
                    resp.write("data: " + json.encode() + "\n\n");
                }
            }

            @Override
            public void onToken(String text) {
                vctx.runOnContext(v -> {
                    begin();
                    event(chunk(id, created, model, new JsonObject().put("content", text), null));
                });
            }

            @Override
            public void onComplete(ChatResult result) {
                vctx.runOnContext(v -> {
                    if (resp.closed()) {
                        return;
                    }
                    begin();
                    JsonObject last = chunk(id, created, model, new JsonObject(), result.finishReason());
                    last.put("slm", slm(result));
                    event(last);
                    resp.end("data: [DONE]\n\n");
                });
            }

            @Override
            public void onRejected(Rejection r) {
                vctx.runOnContext(v -> {
                    if (!started) {
                        reject(ctx, r, "messages");
                    } else if (!resp.closed()) {
                        event(errorBody(
                                r.message(), "server_error", r.kind().name().toLowerCase(), null));
                        resp.end("data: [DONE]\n\n");
                    }
                });
            }
        });
        resp.closeHandler(v -> exec.cancel());
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finish) {
        return new JsonObject()
                .put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", created)
                .put("model", model)
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("delta", delta)
                                        .put("finish_reason", finish)));
    }

    /** @param param the request field an INVALID_INPUT rejection is about */
    private static void reject(RoutingContext ctx, ChatListener.Rejection r, String param) {
        HttpServerResponse resp = ctx.response();
        if (resp.closed() || resp.ended()) {
            return;
        }
        switch (r.kind()) {
            case SHED -> {
                resp.putHeader("Retry-After", Integer.toString(r.retryAfterSeconds()))
                        .putHeader("X-SLM-Served-By", "shed");
                sendError(ctx, new RequestErrors(429, "rate_limit_error", "overloaded", null, r.message()));
            }
            case UNAVAILABLE -> {
                resp.putHeader("Retry-After", Integer.toString(Math.max(1, r.retryAfterSeconds())));
                sendError(ctx, new RequestErrors(503, "server_error", "unavailable", null, r.message()));
            }
            case DEADLINE -> {
                resp.putHeader("Retry-After", Integer.toString(Math.max(1, r.retryAfterSeconds())));
                sendError(ctx, new RequestErrors(504, "server_error", "deadline_exceeded", null, r.message()));
            }
            case INVALID_INPUT ->
                sendError(
                        ctx,
                        new RequestErrors(400, "invalid_request_error", "context_length_exceeded", param, r.message()));
            default -> sendError(ctx, new RequestErrors(500, "server_error", "failed", null, r.message()));
        }
    }

    private static String servedBy(ChatSummary s) {
        return s.getServedBy().name().replace("SERVED_BY_", "").toLowerCase();
    }

    private static JsonObject completion(ChatInput input, String model, String text, ChatListener.ChatResult result) {
        // Usage counts the generator's tokens; a rule-based answer used no model tokens to write.
        int prompt = result.summary().getPromptTokens();
        int completion = result.summary().getCompletionTokens();
        return new JsonObject()
                .put("id", "chatcmpl-" + input.requestId())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model)
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put(
                                                "message",
                                                new JsonObject()
                                                        .put("role", "assistant")
                                                        .put("content", text))
                                        .put("finish_reason", result.finishReason())))
                .put(
                        "usage",
                        new JsonObject()
                                .put("prompt_tokens", prompt)
                                .put("completion_tokens", completion)
                                .put("total_tokens", prompt + completion))
                .put("slm", slm(result));
    }

    private static JsonObject simple(ChatInput input, ChatListener.ChatResult result) {
        return slm(result).put("answer", result.summary().getText()).put("request_id", input.requestId());
    }

    static JsonObject slm(ChatListener.ChatResult result) {
        ChatSummary s = result.summary();
        JsonArray slots = new JsonArray();
        for (Slot slot : result.slots().getSlotsList()) {
            slots.add(new JsonObject()
                    .put("name", slot.getName())
                    .put("value", slot.getValue())
                    .put("text", slot.getText())
                    .put("source", slot.getSource()));
        }
        JsonArray stages = new JsonArray();
        for (StageTiming t : s.getStagesList()) {
            stages.add(new JsonObject()
                    .put("stage", t.getStage())
                    .put("latency_ms", t.getLatencyMs())
                    .put("status", t.getStatus())
                    .put("endpoint", t.getEndpoint()));
        }
        return new JsonObject()
                .put("served_by", servedBy(s))
                .put("reason", s.getReason())
                .put("intent", result.intent().getIntent())
                .put("confidence", result.intent().getConfidence())
                .put("slots", slots)
                .put("stages", stages)
                .put("total_latency_ms", s.getTotalLatencyMs())
                .put("time_to_first_token_ms", s.getTimeToFirstTokenMs())
                .put("prompt_tokens", s.getPromptTokens())
                .put("completion_tokens", s.getCompletionTokens())
                .put("kv_cache_hit", s.getKvCacheHit());
    }

    private void models(RoutingContext ctx) {
        String id = runtime.pipeline().settings().modelId();
        ctx.response()
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("object", "list")
                        .put("data", new JsonArray().add(modelJson(id)))
                        .encode());
    }

    private void model(RoutingContext ctx) {
        String id = runtime.pipeline().settings().modelId();
        if (!id.equals(ctx.pathParam("id"))) {
            sendError(
                    ctx,
                    new RequestErrors(
                            404,
                            "invalid_request_error",
                            "model_not_found",
                            "model",
                            "The model '" + ctx.pathParam("id") + "' does not exist"));
            return;
        }
        ctx.response()
                .putHeader("Content-Type", "application/json")
                .end(modelJson(id).encode());
    }

    private static JsonObject modelJson(String id) {
        return new JsonObject()
                .put("id", id)
                .put("object", "model")
                .put("created", 0)
                .put("owned_by", "slm-fleet");
    }

    private void routingTable(RoutingContext ctx) {
        var table = runtime.registry().table();
        JsonObject out = new JsonObject()
                .put("source", runtime.sourceDescription())
                .put("updates", runtime.tableUpdates())
                .put("table", table == null ? null : new JsonObject(RoutingTableCodec.toJson(table)));
        JsonObject limits = new JsonObject();
        for (String task : runtime.pipeline().settings().tasks()) {
            var l = runtime.registry().balancer(task).inputLimits();
            limits.put(
                    task,
                    new JsonObject()
                            .put("max_input_bytes", l.maxInputBytes())
                            .put("max_input_tokens", l.maxInputTokens())
                            .put("described", l.described())
                            .put("endpoints", l.endpoints()));
        }
        out.put("input_limits", limits);
        ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
    }
}
