package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.ChatMessage;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.SamplingParams;
import java.util.List;

/**
 * One chat request as the pipeline sees it: the user's turn ({@code text}) and the earlier turns ({@code history}).
 * {@code streaming}: tokens go to the listener as they come; otherwise the answer is delivered whole, which lets a
 * generator failure mid-answer still end in a retry or a fallback answer.
 */
public record ChatInput(
        String text,
        List<ChatMessage> history,
        String sessionId,
        PriorityClass priority,
        long deadlineNanos,
        SamplingParams sampling,
        String requestId,
        boolean streaming) {}
