package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.SamplingParams;

/**
 * One chat request as the pipeline sees it. {@code streaming}: tokens go to the listener as they come; otherwise the
 * answer is delivered whole, which lets a generator failure mid-answer still end in a fallback answer.
 */
public record ChatInput(
        String text,
        String sessionId,
        PriorityClass priority,
        long deadlineNanos,
        SamplingParams sampling,
        String requestId,
        boolean streaming) {}
