package dev.slm.fleet.contract;

import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.PriorityClass;
import java.util.List;
import java.util.Locale;

/** Priority class names, the one set of defaults, and how a class maps onto the workers' three queues. */
public final class Priorities {
    public static final String CRITICAL = "critical";
    public static final String STANDARD = "standard";
    public static final String SHEDDABLE = "sheddable";
    public static final String DEFAULT = STANDARD;

    public static final String ON_OVERLOAD_QUEUE = "queue";
    public static final String ON_OVERLOAD_FALLBACK = "fallback";
    public static final String ON_OVERLOAD_SHED = "shed";
    public static final List<String> ON_OVERLOAD = List.of(ON_OVERLOAD_QUEUE, ON_OVERLOAD_FALLBACK, ON_OVERLOAD_SHED);

    /** Used when SlmCluster.spec.router.priorities is empty, by the operator, the router and local mode alike. */
    public static final List<PriorityClass> DEFAULTS = List.of(
            PriorityClass.newBuilder()
                    .setName(CRITICAL)
                    .setRank(0)
                    .setQueueLimit(64)
                    .setLatencyBudgetMs(2000)
                    .setOnOverload(ON_OVERLOAD_QUEUE)
                    .build(),
            PriorityClass.newBuilder()
                    .setName(STANDARD)
                    .setRank(1)
                    .setQueueLimit(32)
                    .setLatencyBudgetMs(1000)
                    .setOnOverload(ON_OVERLOAD_FALLBACK)
                    .build(),
            PriorityClass.newBuilder()
                    .setName(SHEDDABLE)
                    .setRank(2)
                    .setQueueLimit(8)
                    .setLatencyBudgetMs(1000)
                    .setOnOverload(ON_OVERLOAD_SHED)
                    .build());

    /** A worker queue per built-in class when SlmWorker.spec.runtime leaves it unset. */
    public static int defaultQueueLimit(String name) {
        return DEFAULTS.stream()
                .filter(p -> p.getName().equals(name))
                .findFirst()
                .map(PriorityClass::getQueueLimit)
                .orElseThrow(() -> new IllegalArgumentException("no built-in priority class " + name));
    }

    /**
     * The worker queue a class uses. Built-in names map to their own queue; a custom class maps by what it does
     * under overload (queue: critical, fallback: standard, shed: sheddable), so it is not silently made standard.
     */
    public static Priority toProto(PriorityClass pc) {
        return switch (pc.getName().toLowerCase(Locale.ROOT)) {
            case CRITICAL -> Priority.PRIORITY_CRITICAL;
            case STANDARD -> Priority.PRIORITY_STANDARD;
            case SHEDDABLE -> Priority.PRIORITY_SHEDDABLE;
            default ->
                switch (pc.getOnOverload()) {
                    case ON_OVERLOAD_QUEUE -> Priority.PRIORITY_CRITICAL;
                    case ON_OVERLOAD_SHED -> Priority.PRIORITY_SHEDDABLE;
                    default -> Priority.PRIORITY_STANDARD;
                };
        };
    }

    public static String name(Priority p) {
        return switch (p) {
            case PRIORITY_CRITICAL -> CRITICAL;
            case PRIORITY_SHEDDABLE -> SHEDDABLE;
            default -> STANDARD;
        };
    }

    private Priorities() {}
}
