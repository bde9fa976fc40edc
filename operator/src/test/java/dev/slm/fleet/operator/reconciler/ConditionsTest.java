package dev.slm.fleet.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
    @Test
    void lastTransitionTimeMovesOnlyWhenTheStatusFlips() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        var first =
                Conditions.merge(List.of(), 1, t0, new Conditions.Desired("Ready", false, "ReplicasNotReady", "0/1"));
        var same = Conditions.merge(
                first, 2, t0.plusSeconds(5), new Conditions.Desired("Ready", false, "ReplicasNotReady", "0/1"));
        var flipped = Conditions.merge(
                same, 2, t0.plusSeconds(9), new Conditions.Desired("Ready", true, "AllReplicasReady", "1/1"));
        assertThat(same.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(same.get(0).getObservedGeneration()).isEqualTo(2);
        assertThat(flipped.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:09Z");
    }
}
