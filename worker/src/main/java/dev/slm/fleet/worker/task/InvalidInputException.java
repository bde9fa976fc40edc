package dev.slm.fleet.worker.task;

import dev.slm.fleet.proto.v1.InputLimitExceeded;
import java.util.Optional;

/** The request breaks a limit or is malformed; maps to INVALID_ARGUMENT (with InputLimitExceeded for a limit). */
public class InvalidInputException extends RuntimeException {
    private final transient InputLimitExceeded exceeded;

    public InvalidInputException(String message) {
        this(message, null);
    }

    InvalidInputException(String message, InputLimitExceeded exceeded) {
        super(message);
        this.exceeded = exceeded;
    }

    /** The limit of DescribeResponse this input is over; empty for other invalid input. */
    public Optional<InputLimitExceeded> exceeded() {
        return Optional.ofNullable(exceeded);
    }
}
