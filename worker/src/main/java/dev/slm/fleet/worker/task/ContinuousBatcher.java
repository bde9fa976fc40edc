package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Continuous batching for generate: one decode thread runs the decode steps of up to {@code maxSessions}
 * sequences as one model run. Each sequence keeps its own KV cache, as one row of the batch's
 * past_key_values; sequences join and leave between steps. A joining sequence's prompt is fed on its own KV, in
 * chunks of {@link #PREFILL_CHUNK} tokens while others decode (one chunk per step, so a long prompt delays each
 * of their steps by at most one chunk's run), whole when nobody else decodes. A row that leaves leaves a hole in
 * the batch's KV, masked by the attention mask; a membership change compacts the rows. Sampling, stop sequences,
 * streaming, cancellation and deadlines stay per sequence ({@link CausalLm.Sequence}).
 */
public final class ContinuousBatcher {

    /** Prompt tokens a joining sequence feeds per step while others decode. */
    public static final int PREFILL_CHUNK = 64;

    /** A sequence's end: its completion, or the error that ended it (then completion is null). */
    public interface Done {
        void done(CausalLm.Completion completion, RuntimeException error);
    }

    private record Joined(CausalLm.Sequence seq, Done done) {}

    private static final class Row {
        final Joined joined;
        /** 1 where the batch's KV holds one of this row's tokens, 0 for holes; as wide as the batch. */
        long[] mask;

        Row(Joined joined, long[] mask) {
            this.joined = joined;
            this.mask = mask;
        }
    }

    private final CausalLm lm;
    private final int maxSessions;
    private final int prefillChunk;
    private final IntConsumer batchSizes;
    private final ConcurrentLinkedQueue<Joined> joins = new ConcurrentLinkedQueue<>();
    private final AtomicInteger active = new AtomicInteger();
    private final Thread thread;

    // Owned by the decode thread.
    private final List<Joined> prefilling = new ArrayList<>();
    private final List<Joined> ready = new ArrayList<>();
    private List<Row> rows = new ArrayList<>();
    private CausalLm.Kv batch;
    private int width;

    ContinuousBatcher(CausalLm lm, int maxSessions, IntConsumer batchSizes) {
        this(lm, maxSessions, PREFILL_CHUNK, batchSizes);
    }

    ContinuousBatcher(CausalLm lm, int maxSessions, int prefillChunk, IntConsumer batchSizes) {
        this.lm = lm;
        this.maxSessions = Math.max(1, maxSessions);
        this.prefillChunk = Math.max(1, prefillChunk);
        this.batchSizes = batchSizes;
        this.thread = new Thread(this::loop, "decode-loop");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a sequence; it joins the batch at the next step with room and {@code done} is called once at its end. */
    public void submit(CausalLm.Sequence seq, Done done) {
        active.incrementAndGet();
        joins.add(new Joined(seq, done));
        LockSupport.unpark(thread);
    }

    /** Sequences submitted and not yet ended. */
    public int active() {
        return active.get();
    }

    public int maxSessions() {
        return maxSessions;
    }

    boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            while (active.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(left))));
            }
        }
        return true;
    }

    private void loop() {
        while (true) {
            while (prefilling.size() + ready.size() + rows.size() < maxSessions) {
                Joined j = joins.poll();
                if (j == null) {
                    break;
                }
                prefilling.add(j);
            }
            if (prefilling.isEmpty() && ready.isEmpty() && rows.isEmpty()) {
                LockSupport.park(this);
                continue;
            }
            try {
                iterate();
            } catch (OrtException e) {
                failAll(new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e));
            } catch (RuntimeException e) {
                failAll(e);
            }
        }
    }

    private void iterate() throws OrtException {
        stopWaiting(prefilling);
        stopWaiting(ready);
        boolean leaving = false;
        for (Row r : rows) {
            leaving |= r.joined.seq().stopped();
        }
        if (!prefilling.isEmpty()) {
            Joined j = prefilling.get(0);
            int chunk = rows.isEmpty() && ready.isEmpty() ? Integer.MAX_VALUE : prefillChunk;
            float[] logits = j.seq().prefill(chunk);
            if (logits != null) {
                prefilling.remove(0);
                j.seq().accept(logits);
                if (j.seq().done) {
                    endAlone(j);
                } else {
                    ready.add(j);
                }
            }
        }
        if (leaving || !ready.isEmpty()) {
            regroup();
        }
        if (!rows.isEmpty()) {
            step();
        }
    }

    /** Ends the cancelled or expired sequences that are not rows of the batch. */
    private void stopWaiting(List<Joined> list) {
        for (Iterator<Joined> it = list.iterator(); it.hasNext(); ) {
            Joined j = it.next();
            if (j.seq().stopped()) {
                it.remove();
                endAlone(j);
            }
        }
    }

    /** One decode step of every row: each feeds its last sampled token. */
    private void step() throws OrtException {
        int n = rows.size();
        long[][] feed = new long[n][1];
        long[][] mask = new long[n][];
        int[] positions = new int[n];
        for (int r = 0; r < n; r++) {
            CausalLm.Sequence s = rows.get(r).joined.seq();
            feed[r][0] = s.all[s.fed];
            mask[r] = java.util.Arrays.copyOf(rows.get(r).mask, width + 1);
            mask[r][width] = 1;
            positions[r] = s.fed;
        }
        batchSizes.accept(n);
        CausalLm.StepResult result = lm.forward(feed, mask, positions, batch);
        batch.close();
        batch = result.kv();
        width++;
        boolean ended = false;
        for (int r = 0; r < n; r++) {
            Row row = rows.get(r);
            row.mask = mask[r];
            CausalLm.Sequence s = row.joined.seq();
            s.fed++;
            s.accept(result.logits()[r]);
            ended |= s.done;
        }
        if (ended) {
            regroup();
        }
    }

    /**
     * Applies membership changes: rows whose sequence is done leave (their KV goes to the session cache before
     * they are answered), sequences whose prefill is complete join, and the remaining rows are compacted.
     */
    private void regroup() throws OrtException {
        List<Row> keep = new ArrayList<>();
        List<Integer> keepAt = new ArrayList<>();
        List<Row> leave = new ArrayList<>();
        List<Integer> leaveAt = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.joined.seq().done) {
                leave.add(r);
                leaveAt.add(i);
            } else {
                keep.add(r);
                keepAt.add(i);
            }
        }
        if (batch == null && rows.isEmpty() && ready.size() == 1) {
            // Nobody else decodes: the sequence's own KV becomes the batch as it is.
            Joined j = ready.remove(0);
            batch = j.seq().kv;
            j.seq().kv = null;
            width = j.seq().fed;
            rows = new ArrayList<>(List.of(new Row(j, ones(width, width))));
            return;
        }
        int layers = lm.layers();
        int heads = (int) lm.heads();
        int d = (int) lm.headDim();
        int newRows = keep.size() + ready.size();
        int newWidth = 0;
        for (Row r : keep) {
            newWidth = Math.max(newWidth, r.joined.seq().fed);
        }
        for (Joined j : ready) {
            newWidth = Math.max(newWidth, j.seq().fed);
        }
        OnnxTensor[] keyTensors = new OnnxTensor[layers];
        OnnxTensor[] valueTensors = new OnnxTensor[layers];
        float[][][] leaveKeys = new float[leave.size()][layers][];
        float[][][] leaveValues = new float[leave.size()][layers][];
        for (int l = 0; l < layers; l++) {
            float[] oldK = batch != null ? Tensors.toFloats(batch.keys[l]) : null;
            float[] oldV = batch != null ? Tensors.toFloats(batch.values[l]) : null;
            float[] keys = new float[newRows * heads * newWidth * d];
            float[] values = new float[newRows * heads * newWidth * d];
            int r = 0;
            for (int i = 0; i < keep.size(); i++, r++) {
                long[] mask = keep.get(i).mask;
                compact(oldK, keepAt.get(i), mask, keys, r, newWidth, heads, d);
                compact(oldV, keepAt.get(i), mask, values, r, newWidth, heads, d);
            }
            for (Joined j : ready) {
                int fed = j.seq().fed;
                long[] all = ones(fed, fed);
                compact(Tensors.toFloats(j.seq().kv.keys[l]), 0, all, keys, r, newWidth, heads, d);
                compact(Tensors.toFloats(j.seq().kv.values[l]), 0, all, values, r, newWidth, heads, d);
                r++;
            }
            for (int i = 0; i < leave.size(); i++) {
                CausalLm.Sequence s = leave.get(i).joined.seq();
                if (s.keepsCache()) {
                    leaveKeys[i][l] = new float[heads * s.fed * d];
                    leaveValues[i][l] = new float[heads * s.fed * d];
                    compact(oldK, leaveAt.get(i), leave.get(i).mask, leaveKeys[i][l], 0, s.fed, heads, d);
                    compact(oldV, leaveAt.get(i), leave.get(i).mask, leaveValues[i][l], 0, s.fed, heads, d);
                }
            }
            if (newRows > 0) {
                // one layer at a time on the heap: the batch's KV can be most of the worker's memory
                long[] shape = {newRows, heads, newWidth, d};
                keyTensors[l] = Tensors.floats(keys, shape);
                valueTensors[l] = Tensors.floats(values, shape);
            }
        }
        if (batch != null) {
            batch.close();
        }
        batch = newRows > 0 ? new CausalLm.Kv(keyTensors, valueTensors, null) : null;
        width = newRows > 0 ? newWidth : 0;
        List<Row> next = new ArrayList<>(newRows);
        for (Row r : keep) {
            next.add(new Row(r.joined, ones(r.joined.seq().fed, newWidth)));
        }
        for (Joined j : ready) {
            j.seq().release();
            next.add(new Row(j, ones(j.seq().fed, newWidth)));
        }
        ready.clear();
        rows = next;
        for (int i = 0; i < leave.size(); i++) {
            Joined j = leave.get(i).joined;
            float[][] k = j.seq().keepsCache() ? leaveKeys[i] : null;
            float[][] v = j.seq().keepsCache() ? leaveValues[i] : null;
            end(j, () -> j.seq().finish(k, v));
        }
    }

    /**
     * Copies row {@code from} of a [rows, heads, width, d] KV, its positions where {@code mask} is 1 in order, to
     * row {@code to} of a [rows', heads, dstWidth, d] one, from position 0.
     */
    private static void compact(
            float[] src, int from, long[] mask, float[] dst, int to, int dstWidth, int heads, int d) {
        int width = mask.length;
        for (int h = 0; h < heads; h++) {
            int srcBase = (from * heads + h) * width * d;
            int dstBase = (to * heads + h) * dstWidth * d;
            int k = 0;
            int p = 0;
            while (p < width) {
                if (mask[p] == 0) {
                    p++;
                    continue;
                }
                int e = p;
                while (e < width && mask[e] != 0) {
                    e++;
                }
                System.arraycopy(src, srcBase + p * d, dst, dstBase + k * d, (e - p) * d);
                k += e - p;
                p = e;
            }
        }
    }

    private static long[] ones(int n, int width) {
        long[] m = new long[width];
        java.util.Arrays.fill(m, 0, n, 1);
        return m;
    }

    private interface Finish {
        CausalLm.Completion get() throws OrtException;
    }

    private void endAlone(Joined j) {
        end(j, () -> j.seq().finish());
    }

    private void end(Joined j, Finish finish) {
        CausalLm.Completion c = null;
        RuntimeException error = null;
        try {
            c = finish.get();
        } catch (OrtException e) {
            error = new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            error = e;
        } finally {
            j.seq().release();
        }
        answer(j, c, error);
    }

    private void answer(Joined j, CausalLm.Completion c, RuntimeException error) {
        try {
            j.done().done(c, error);
        } catch (RuntimeException ignored) {
            // the callback answers its own call; its failure must not stop the others' decoding
        } finally {
            active.decrementAndGet();
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** A failed model run ends every sequence it held (they share the batch); queued ones stay queued. */
    private void failAll(RuntimeException error) {
        List<Joined> all = new ArrayList<>(prefilling);
        all.addAll(ready);
        rows.forEach(r -> all.add(r.joined));
        prefilling.clear();
        ready.clear();
        rows = new ArrayList<>();
        if (batch != null) {
            try {
                batch.close();
            } catch (RuntimeException ignored) {
                // already failing
            }
            batch = null;
        }
        width = 0;
        for (Joined j : all) {
            j.seq().release();
            answer(j, null, error);
        }
    }
}
