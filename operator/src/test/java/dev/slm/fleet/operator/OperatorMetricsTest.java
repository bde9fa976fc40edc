package dev.slm.fleet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperatorMetricsTest {
    @Test
    void theOperatorsCountersAndTheJvmsAreScrapedUnderThePrometheusNamesTheChartUses() {
        double before = OperatorMetrics.count(OperatorMetrics.PLACEMENT_MOVES, "direction", "fallback");
        OperatorMetrics.inc(OperatorMetrics.PLACEMENT_MOVES, "direction", "fallback");
        assertThat(OperatorMetrics.count(OperatorMetrics.PLACEMENT_MOVES, "direction", "fallback"))
                .isEqualTo(before + 1);
        String scrape = OperatorMetrics.scrape();
        // helm/slm-fleet/templates/metrics.yaml alerts on this series.
        assertThat(scrape).contains("slm_operator_placement_moves_total{direction=\"fallback\"}");
        assertThat(scrape).contains("jvm_memory_used_bytes");
        assertThat(OperatorMetrics.josdk()).isNotNull();
    }
}
