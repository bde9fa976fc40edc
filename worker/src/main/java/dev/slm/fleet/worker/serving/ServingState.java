package dev.slm.fleet.worker.serving;

/** Where the worker is in its life; only SERVING accepts inference calls. */
public enum ServingState {
    LOADING,
    WARMING_UP,
    SERVING,
    FAILED,
    DRAINING
}
