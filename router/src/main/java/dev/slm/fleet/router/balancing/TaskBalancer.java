package dev.slm.fleet.router.balancing;

import dev.slm.fleet.proto.v1.TaskRoute;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks an endpoint for one task. Immutable per routing-table version, except for the session bindings, which
 * carry over between versions so that a session moves only when its endpoint leaves the table.
 */
public final class TaskBalancer {

    private final TaskRoute route;
    private final List<EndpointState> endpoints;
    private final BalancingPolicy policy;
    private final ConsistentHashRing ring;
    private final SessionBindings bindings;

    TaskBalancer(TaskRoute route, List<EndpointState> endpoints, BalancingPolicy policy, SessionBindings bindings) {
        this.route = route;
        this.endpoints = List.copyOf(endpoints);
        this.policy = policy;
        this.ring = route.getSessionAffine() ? new ConsistentHashRing(endpoints) : null;
        this.bindings = bindings;
    }

    public TaskRoute route() {
        return route;
    }

    public List<EndpointState> endpoints() {
        return endpoints;
    }

    public boolean sessionAffine() {
        return ring != null;
    }

    /**
     * The input limits this task's workers report in Describe: the smallest of each over the endpoints that have
     * answered (any of them may get the message); 0 where none reported one. Asks the others, without waiting.
     */
    public InputLimits inputLimits() {
        int bytes = 0;
        int tokens = 0;
        int described = 0;
        for (EndpointState e : endpoints) {
            var d = e.description();
            if (d == null) {
                e.describe();
                continue;
            }
            described++;
            bytes = smallest(bytes, d.getMaxInputBytes());
            tokens = smallest(tokens, d.getMaxInputTokens());
        }
        return new InputLimits(route.getTask(), bytes, tokens, described, endpoints.size());
    }

    private static int smallest(int current, int reported) {
        return reported <= 0 ? current : current == 0 ? reported : Math.min(current, reported);
    }

    /** One task's input limits as its workers' Describe reports them; 0 = not known. */
    public record InputLimits(String task, int maxInputBytes, int maxInputTokens, int described, int endpoints) {}

    SessionBindings bindings() {
        return bindings;
    }

    /**
     * Picks a healthy endpoint not in {@code exclude}; null when none is left. Session-affine tasks with a session id
     * go to the session's bound endpoint (bound on first use by the hash ring) while it is healthy.
     */
    public EndpointState pick(String sessionId, Set<String> exclude) {
        if (endpoints.isEmpty()) {
            return null;
        }
        if (ring != null && sessionId != null && !sessionId.isEmpty()) {
            String bound = bindings.get(sessionId);
            if (bound != null) {
                for (EndpointState e : endpoints) {
                    if (e.address().equals(bound) && !e.ejected() && !exclude.contains(bound)) {
                        return e;
                    }
                }
            }
            EndpointState chosen = ring.lookup(sessionId, e -> !e.ejected() && !exclude.contains(e.address()));
            if (chosen != null && (bound == null || !isPresent(bound))) {
                bindings.put(sessionId, chosen.address());
            }
            return chosen;
        }
        return policy == BalancingPolicy.POWER_OF_TWO ? powerOfTwo(exclude) : leastOutstanding(exclude);
    }

    private boolean isPresent(String address) {
        for (EndpointState e : endpoints) {
            if (e.address().equals(address)) {
                return true;
            }
        }
        return false;
    }

    private EndpointState leastOutstanding(Set<String> exclude) {
        EndpointState best = null;
        double bestLoad = Double.MAX_VALUE;
        int ties = 0;
        for (EndpointState e : endpoints) {
            if (e.ejected() || exclude.contains(e.address())) {
                continue;
            }
            double load = e.load();
            if (load < bestLoad) {
                best = e;
                bestLoad = load;
                ties = 1;
            } else if (load == bestLoad && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                best = e; // reservoir choice among equals, so idle endpoints share the load
            }
        }
        return best;
    }

    private EndpointState powerOfTwo(Set<String> exclude) {
        EndpointState a = weightedRandom(exclude, null);
        if (a == null) {
            return null;
        }
        EndpointState b = weightedRandom(exclude, a);
        if (b == null) {
            return a;
        }
        return a.load() <= b.load() ? a : b;
    }

    private EndpointState weightedRandom(Set<String> exclude, EndpointState not) {
        int total = 0;
        for (EndpointState e : endpoints) {
            if (e != not && !e.ejected() && !exclude.contains(e.address())) {
                total += e.weight();
            }
        }
        if (total == 0) {
            return null;
        }
        int r = ThreadLocalRandom.current().nextInt(total);
        for (EndpointState e : endpoints) {
            if (e != not && !e.ejected() && !exclude.contains(e.address())) {
                r -= e.weight();
                if (r < 0) {
                    return e;
                }
            }
        }
        return null;
    }

    /** Bounded LRU map of session id to endpoint address. */
    public static final class SessionBindings {
        private final Map<String, String> map;

        public SessionBindings(int capacity) {
            this.map = new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > capacity;
                }
            };
        }

        synchronized String get(String session) {
            return map.get(session);
        }

        synchronized void put(String session, String address) {
            map.put(session, address);
        }

        synchronized void retainAddresses(Set<String> present) {
            map.values().removeIf(a -> !present.contains(a));
        }
    }
}
