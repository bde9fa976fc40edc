package dev.slm.fleet.router.balancing;

import java.util.Locale;

public enum BalancingPolicy {
    LEAST_OUTSTANDING,
    POWER_OF_TWO;

    public static BalancingPolicy parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "least-outstanding", "least-outstanding-requests", "lor" -> LEAST_OUTSTANDING;
            case "p2c", "power-of-two", "power-of-two-choices" -> POWER_OF_TWO;
            default ->
                throw new IllegalArgumentException(
                        "unknown balancing policy '" + value + "' (least-outstanding | power-of-two)");
        };
    }
}
