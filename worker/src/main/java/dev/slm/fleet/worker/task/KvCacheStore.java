package dev.slm.fleet.worker.task;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * KV caches of the most recent sessions (LRU), bounded both in session count and in bytes. Entries are
 * plain heap arrays, so evicting one frees it; a session's entry is taken out while it is in use.
 */
public final class KvCacheStore {

    /** Tokens the cache covers and, per layer, key and value [heads, tokens, headDim] flattened. */
    public record Entry(long[] tokens, float[][] keys, float[][] values, long heads, long headDim) {
        long bytes() {
            long b = tokens.length * 8L;
            for (float[] k : keys) {
                b += k.length * 4L;
            }
            for (float[] v : values) {
                b += v.length * 4L;
            }
            return b;
        }
    }

    private final int maxSessions;
    private final long maxBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public KvCacheStore(int maxSessions, long maxBytes) {
        this.maxSessions = maxSessions;
        this.maxBytes = maxBytes;
    }

    public synchronized Optional<Entry> take(String session) {
        Entry e = entries.remove(session);
        if (e != null) {
            bytes -= e.bytes();
        }
        return Optional.ofNullable(e);
    }

    /** Whether an entry for {@code session} could be kept at all. */
    public boolean keeps(String session) {
        return !session.isEmpty() && maxSessions > 0 && maxBytes > 0;
    }

    public synchronized void put(String session, Entry entry) {
        if (session.isEmpty() || maxSessions <= 0 || entry.bytes() > maxBytes) {
            return;
        }
        Entry old = entries.put(session, entry);
        if (old != null) {
            bytes -= old.bytes();
        }
        bytes += entry.bytes();
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while ((entries.size() > maxSessions || bytes > maxBytes) && it.hasNext()) {
            bytes -= it.next().getValue().bytes();
            it.remove();
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long bytes() {
        return bytes;
    }
}
