package dev.slm.fleet.worker.accel;

import java.util.Locale;

/** What the worker does when the first execution provider of its hardware class cannot load. */
public enum ProviderPolicy {
    /** Use the next provider of the list and report why (Describe, metrics, SlmWorker status). */
    FALLBACK("fallback"),
    /** Do not serve: NOT_SERVING with the provider's load error as the reason. */
    REFUSE("refuse");

    private final String id;

    ProviderPolicy(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ProviderPolicy parse(String name, String field) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (ProviderPolicy p : values()) {
            if (p.id.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException(field + ": unknown provider policy '" + name + "'; use fallback or refuse");
    }
}
