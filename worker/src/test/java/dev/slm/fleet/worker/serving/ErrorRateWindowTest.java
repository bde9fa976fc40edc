package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrorRateWindowTest {

    @Test
    void rateCoversTheLastMinuteOnly() {
        ErrorRateWindow w = new ErrorRateWindow();
        long t0 = 1_000_000_000L;
        assertEquals(0.0, w.rate(t0));
        w.record(true, t0);
        w.record(false, t0 + 10);
        w.record(false, t0 + 30_000);
        w.record(false, t0 + 30_001);
        assertEquals(0.25, w.rate(t0 + 30_002), 1e-9);
        assertEquals(0.0, w.rate(t0 + 61_000), 1e-9, "the error second has left the window");
    }
}
