package dev.slm.fleet.router.balancing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/** A hash ring with virtual nodes proportional to weight; immutable, rebuilt when the endpoint set changes. */
public final class ConsistentHashRing {

    static final int VNODES_PER_WEIGHT = 64;
    private final NavigableMap<Long, EndpointState> ring = new TreeMap<>();

    public ConsistentHashRing(List<EndpointState> endpoints) {
        for (EndpointState e : endpoints) {
            int vnodes = VNODES_PER_WEIGHT * e.weight();
            for (int i = 0; i < vnodes; i++) {
                ring.put(hash(e.address() + "#" + i), e);
            }
        }
    }

    /** The first endpoint clockwise from the key's hash that passes the filter, or null. */
    public EndpointState lookup(String key, Predicate<EndpointState> usable) {
        if (ring.isEmpty()) {
            return null;
        }
        long h = hash(key);
        for (Map.Entry<Long, EndpointState> entry : ring.tailMap(h, true).entrySet()) {
            if (usable.test(entry.getValue())) {
                return entry.getValue();
            }
        }
        for (Map.Entry<Long, EndpointState> entry : ring.headMap(h, false).entrySet()) {
            if (usable.test(entry.getValue())) {
                return entry.getValue();
            }
        }
        return null;
    }

    /** 64-bit FNV-1a followed by a murmur3 finaliser, for an even spread of short keys. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb93fe53ec8cdL;
        h ^= h >>> 33;
        return h;
    }
}
