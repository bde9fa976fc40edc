package dev.slm.fleet.worker.model;

/** The model cannot be served; the message says why in words an operator can act on. */
public class ModelLoadException extends Exception {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
