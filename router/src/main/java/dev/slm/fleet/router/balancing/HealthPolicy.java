package dev.slm.fleet.router.balancing;

import java.time.Duration;

/** Passive health: eject an endpoint after {@code failureThreshold} consecutive failures for {@code coolOff}. */
public record HealthPolicy(int failureThreshold, Duration coolOff) {}
