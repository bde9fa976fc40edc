package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.ChatSummary;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;

/** Receives one request's events; exactly one of onComplete or onRejected is called, once. */
public interface ChatListener {

    default void onIntent(ClassifyResponse intent) {}

    default void onSlots(ExtractSlotsResponse slots) {}

    /** A piece of the post-processed answer, in order. */
    void onToken(String text);

    void onComplete(ChatResult result);

    void onRejected(Rejection rejection);

    record ChatResult(ChatSummary summary, ClassifyResponse intent, ExtractSlotsResponse slots, String finishReason) {}

    /**
     * The request got no answer. {@code kind}: SHED (429 / RESOURCE_EXHAUSTED with Retry-After), UNAVAILABLE (503),
     * DEADLINE (504), FAILED (500 / stream error after part of the answer was sent), INVALID_INPUT (400 /
     * INVALID_ARGUMENT: the message is over a stage's input limit; the message names the limit and the stage).
     */
    record Rejection(Kind kind, String message, int retryAfterSeconds) {
        public enum Kind {
            SHED,
            UNAVAILABLE,
            DEADLINE,
            FAILED,
            INVALID_INPUT
        }
    }
}
