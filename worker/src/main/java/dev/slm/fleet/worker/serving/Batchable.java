package dev.slm.fleet.worker.serving;

import java.util.List;

/**
 * Queued work that may share one model run with other queued work of the same group and length bucket. Run alone
 * ({@link #run()}) it does what unbatched work does.
 */
interface Batchable extends Runnable {

    Group group();

    int bucket();

    /** Sequences this work adds to a batch (an Embed request's texts). */
    int size();

    /** Runs several items of one group and bucket together, highest priority first, and answers each. */
    interface Group {
        void runAll(List<Batchable> batch);
    }
}
