package dev.slm.fleet.operator.reconciler;

/** The field manager of every server-side apply this operator makes (JOSDK's dependents and status patches). */
public final class Applier {
    public static final String FIELD_MANAGER = "slm-fleet-operator";

    private Applier() {}
}
