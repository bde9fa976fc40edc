package dev.slm.fleet.worker.serving;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs queued encoder requests of one task, one at a time or several in one model run. Each request is started
 * (cancel and deadline checks) and answered on its own; when a batched run fails, its requests run again one by one,
 * so a request whose input breaks the model fails alone.
 *
 * @param <P> a request's prepared (checked, tokenised) input
 * @param <O> the model's answer for one input
 */
final class EncoderBatcher<P, O> implements Batchable.Group {

    /** The model: answers for the inputs in order. */
    interface Model<P, O> {
        List<O> run(List<P> inputs);
    }

    /** One request's life around the model run. */
    interface Request<O> {
        /** False when the request was cancelled or its deadline passed; it has been answered then. */
        boolean start();

        void succeed(O output, long inferenceNanos);

        void fail(RuntimeException error, long inferenceNanos);
    }

    private final Model<P, O> model;
    private final IntConsumer batchSizes;

    EncoderBatcher(Model<P, O> model, IntConsumer batchSizes) {
        this.model = model;
        this.batchSizes = batchSizes;
    }

    Item item(P input, int bucket, int size, Request<O> request) {
        return new Item(input, bucket, size, request);
    }

    final class Item implements Batchable {
        final P input;
        final int bucket;
        final int size;
        final Request<O> request;

        private Item(P input, int bucket, int size, Request<O> request) {
            this.input = input;
            this.bucket = bucket;
            this.size = size;
            this.request = request;
        }

        @Override
        public Group group() {
            return EncoderBatcher.this;
        }

        @Override
        public int bucket() {
            return bucket;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void run() {
            runAll(List.of(this));
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void runAll(List<Batchable> batch) {
        List<Item> live = new ArrayList<>(batch.size());
        int sequences = 0;
        for (Batchable b : batch) {
            Item item = (Item) b;
            if (item.request.start()) {
                live.add(item);
                sequences += item.size;
            }
        }
        if (live.isEmpty()) {
            return;
        }
        batchSizes.accept(sequences);
        long started = System.nanoTime();
        List<O> outputs = null;
        if (live.size() > 1) {
            try {
                outputs = model.run(live.stream().map(i -> i.input).toList());
            } catch (RuntimeException e) {
                // one at a time below: only the request that breaks the model fails
            }
        }
        for (int i = 0; i < live.size(); i++) {
            Item item = live.get(i);
            O out;
            try {
                out = outputs != null
                        ? outputs.get(i)
                        : model.run(List.of(item.input)).get(0);
            } catch (RuntimeException e) {
                item.request.fail(e, System.nanoTime() - started);
                continue;
            }
            item.request.succeed(out, System.nanoTime() - started);
        }
    }
}
