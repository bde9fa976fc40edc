package dev.slm.fleet.worker.serving;

/** Share of requests that failed over the last minute, in one-second buckets (the {@code error_rate} gauge). */
final class ErrorRateWindow {

    private static final int SECONDS = 60;
    private final long[] second = new long[SECONDS];
    private final long[] total = new long[SECONDS];
    private final long[] errors = new long[SECONDS];

    synchronized void record(boolean error, long nowMillis) {
        long s = nowMillis / 1000;
        int i = (int) (s % SECONDS);
        if (second[i] != s) {
            second[i] = s;
            total[i] = 0;
            errors[i] = 0;
        }
        total[i]++;
        if (error) {
            errors[i]++;
        }
    }

    synchronized double rate(long nowMillis) {
        long s = nowMillis / 1000;
        long t = 0;
        long e = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (second[i] > s - SECONDS) {
                t += total[i];
                e += errors[i];
            }
        }
        return t == 0 ? 0 : (double) e / t;
    }
}
