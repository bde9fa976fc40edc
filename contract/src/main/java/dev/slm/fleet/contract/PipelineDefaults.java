package dev.slm.fleet.contract;

/** Defaults of the router's pipeline when the SlmCluster leaves a field unset. */
public final class PipelineDefaults {
    public static final float CONFIDENCE_THRESHOLD = 0.5f;
    public static final int DEADLINE_MS = 10_000;
    public static final int RETRY_AFTER_SECONDS = 1;
    public static final int RETRIEVAL_TOP_K = 2;
    public static final String FALLBACK_MODE = "rules";

    private PipelineDefaults() {}
}
