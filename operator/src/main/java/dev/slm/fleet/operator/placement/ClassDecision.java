package dev.slm.fleet.operator.placement;

import java.time.Duration;
import java.util.Optional;

/**
 * The hardware class a pool should use now. {@code reason} says why it is not the preferred class (empty on the
 * preferred one); {@code recheckAfter} is when the decision may change without any watch event (a grace period
 * running out).
 */
public record ClassDecision(String hardwareClass, boolean changed, String reason, Optional<Duration> recheckAfter) {}
