package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** What a worker does when the first execution provider of its class cannot load. */
public enum ProviderPolicy {
    /** Run on the next provider of the list and say so (SlmWorker status providerFallback). */
    @JsonProperty("fallback")
    FALLBACK,
    /** Do not serve: the pod stays NOT_SERVING (not ready) with the load error as the reason. */
    @JsonProperty("refuse")
    REFUSE;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
