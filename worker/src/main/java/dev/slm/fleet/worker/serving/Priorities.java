package dev.slm.fleet.worker.serving;

import dev.slm.fleet.proto.v1.Priority;

final class Priorities {
    private Priorities() {}

    static String name(Priority p) {
        return switch (PriorityWorkQueue.normalise(p)) {
            case PRIORITY_CRITICAL -> "critical";
            case PRIORITY_SHEDDABLE -> "sheddable";
            default -> "standard";
        };
    }
}
