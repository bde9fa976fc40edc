package dev.slm.fleet.worker.task;

/** The request breaks a limit or is malformed; maps to INVALID_ARGUMENT. */
public class InvalidInputException extends RuntimeException {
    public InvalidInputException(String message) {
        super(message);
    }
}
