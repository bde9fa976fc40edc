package dev.slm.fleet.worker.serving;

import dev.slm.fleet.proto.v1.Batching;
import dev.slm.fleet.proto.v1.Task;
import java.util.concurrent.TimeUnit;

/** Dynamic batching as resolved for one worker from TaskParameters.batching, its task and its model. */
public record BatchPolicy(boolean enabled, int maxBatchSize, long maxWaitNanos) {

    public static final int DEFAULT_MAX_BATCH_SIZE = 8;
    public static final int DEFAULT_MAX_WAIT_MICROS = 500;

    public static final BatchPolicy OFF = new BatchPolicy(false, 1, 0);

    /**
     * For generate, continuous batching: up to maxBatchSize sessions decode in one step (maxWaitMicros unused: a
     * session joins at the next step). On by default for generate and the encoder tasks, except embed on a model whose batched vectors differ from its
     * unbatched ones (dynamically quantised int8): an embedding stays a function of its text unless the
     * SlmWorker opts in.
     */
    public static BatchPolicy resolve(Batching b, Task task, boolean exactBatches) {
        if (b.getMaxBatchSize() < 0) {
            throw new IllegalArgumentException(
                    "batching.maxBatchSize is " + b.getMaxBatchSize() + "; use 1 or more (0 = default)");
        }
        if (b.getMaxWaitMicros() < 0) {
            throw new IllegalArgumentException("batching.maxWaitMicros is " + b.getMaxWaitMicros() + "; use 0 or more");
        }
        boolean batchable = task == Task.TASK_CLASSIFY_INTENT
                || task == Task.TASK_EXTRACT_SLOTS
                || task == Task.TASK_EMBED
                || task == Task.TASK_GENERATE;
        boolean byDefault = task != Task.TASK_EMBED || exactBatches;
        boolean on = batchable && (b.hasEnabled() ? b.getEnabled() : byDefault);
        int size = b.getMaxBatchSize() > 0 ? b.getMaxBatchSize() : DEFAULT_MAX_BATCH_SIZE;
        int wait = b.hasMaxWaitMicros() ? b.getMaxWaitMicros() : DEFAULT_MAX_WAIT_MICROS;
        if (!on || size == 1) {
            return OFF;
        }
        return new BatchPolicy(true, size, TimeUnit.MICROSECONDS.toNanos(wait));
    }
}
