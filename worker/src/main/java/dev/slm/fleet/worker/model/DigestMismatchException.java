package dev.slm.fleet.worker.model;

public class DigestMismatchException extends ModelLoadException {
    public DigestMismatchException(String uri, String expected, String actual) {
        super("model " + uri + " has sha256:" + actual + " but the pin is sha256:" + expected
                + "; refusing to serve a model that is not the one pinned");
    }
}
