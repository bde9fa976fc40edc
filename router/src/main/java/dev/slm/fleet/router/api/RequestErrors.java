package dev.slm.fleet.router.api;

/** A client error with its HTTP status and OpenAI-style type/code/param. */
public final class RequestErrors extends RuntimeException {

    final int status;
    final String type;
    final String code;
    final String param;

    public RequestErrors(int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    static RequestErrors invalid(String param, String code, String message) {
        return new RequestErrors(400, "invalid_request_error", code, param, message);
    }
}
