package dev.slm.fleet.operator.it;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Counts the operator client's writes (every request that is not a GET), keeping method and path for messages. */
final class WriteCounter implements Interceptor {
    private final List<String> writes = new CopyOnWriteArrayList<>();

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (!"GET".equals(request.method()))
            writes.add(request.method() + " " + request.uri().getPath());
    }

    int count() {
        return writes.size();
    }

    /** Writes to objects in one namespace (path /api[s]/.../namespaces/NS/...). */
    long count(String namespace) {
        return writes.stream()
                .filter(w -> w.contains("/namespaces/" + namespace + "/"))
                .count();
    }

    List<String> since(int mark, String namespace) {
        return since(mark).stream()
                .filter(w -> w.contains("/namespaces/" + namespace + "/"))
                .toList();
    }

    List<String> since(int mark) {
        return List.copyOf(writes.subList(mark, writes.size()));
    }
}
