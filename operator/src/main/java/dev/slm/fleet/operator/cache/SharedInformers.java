package dev.slm.fleet.operator.cache;

import dev.slm.fleet.operator.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The one pod informer and the one node informer of the operator, shared by both controllers through {@link
 * SharedEventSource}s (JOSDK gives every controller its own informers otherwise: worker pods were cached three times,
 * nodes twice). Pods are cached in every namespace, since GPUs held by other workloads count against a hardware class's
 * capacity; worker pods are indexed by pool, by cluster and by node. Both caches drop what no reader needs:
 * managedFields, and a node's image list.
 */
public final class SharedInformers {
    static final String BY_WORKER = "worker";
    static final String BY_CLUSTER = "cluster";
    static final String BY_NODE = "node";

    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<Node> nodes;
    private final Map<SharedIndexInformer<?>, Integer> users = new java.util.HashMap<>();

    public SharedInformers(KubernetesClient client) {
        pods = client.pods().inAnyNamespace().runnableInformer(0);
        pods.itemStore(pruning(p -> p.getMetadata().setManagedFields(null)));
        pods.addIndexers(Map.of(
                BY_WORKER, p -> workerKey(p, Labels.WORKER),
                BY_CLUSTER, p -> workerKey(p, Labels.CLUSTER),
                BY_NODE,
                        p -> isWorkerPod(p)
                                        && p.getSpec() != null
                                        && p.getSpec().getNodeName() != null
                                ? List.of(p.getSpec().getNodeName())
                                : List.of()));
        nodes = client.nodes().runnableInformer(0);
        nodes.itemStore(pruning(n -> {
            n.getMetadata().setManagedFields(null);
            if (n.getStatus() != null) n.getStatus().setImages(null);
        }));
    }

    /** A pod this operator created for an SlmWorker. */
    public static boolean isWorkerPod(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels != null
                && Labels.MANAGER.equals(labels.get(Labels.MANAGED_BY))
                && "worker".equals(labels.get(Labels.COMPONENT))
                && labels.get(Labels.WORKER) != null;
    }

    private static List<String> workerKey(Pod pod, String label) {
        if (!isWorkerPod(pod)) return List.of();
        String value = pod.getMetadata().getLabels().get(label);
        return value == null ? List.of() : List.of(key(pod.getMetadata().getNamespace(), value));
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** The worker pods of SlmWorker {@code namespace/name}. */
    public List<Pod> workerPods(String namespace, String name) {
        return pods.getIndexer().byIndex(BY_WORKER, key(namespace, name));
    }

    /** The worker pods of SlmCluster {@code namespace/name}. */
    public List<Pod> clusterPods(String namespace, String name) {
        return pods.getIndexer().byIndex(BY_CLUSTER, key(namespace, name));
    }

    /** The worker pods bound to {@code node}. */
    public List<Pod> workerPodsOn(String node) {
        return pods.getIndexer().byIndex(BY_NODE, node);
    }

    /** Every pod bound to a node, in any namespace. */
    public Stream<Pod> boundPods() {
        return pods.getStore().list().stream()
                .filter(p -> p.getSpec() != null && p.getSpec().getNodeName() != null);
    }

    public List<Node> nodes() {
        return nodes.getStore().list();
    }

    SharedIndexInformer<Pod> podInformer() {
        return pods;
    }

    SharedIndexInformer<Node> nodeInformer() {
        return nodes;
    }

    /** Starts {@code informer} for its first user and waits until its cache is filled. */
    synchronized void acquire(SharedIndexInformer<?> informer) {
        int n = users.merge(informer, 1, Integer::sum);
        if (n == 1 && !informer.isRunning()) {
            informer.start().toCompletableFuture().join();
        }
    }

    /** Stops {@code informer} when its last user stops. */
    synchronized void release(SharedIndexInformer<?> informer) {
        int n = users.merge(informer, -1, Integer::sum);
        if (n <= 0) {
            users.remove(informer);
            informer.stop();
        }
    }

    private static <T extends HasMetadata> ItemStore<T> pruning(Consumer<T> prune) {
        BasicItemStore<T> store = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);
        return new ItemStore<>() {
            @Override
            public String getKey(T obj) {
                return store.getKey(obj);
            }

            @Override
            public T put(String key, T obj) {
                prune.accept(obj);
                return store.put(key, obj);
            }

            @Override
            public T remove(String key) {
                return store.remove(key);
            }

            @Override
            public Stream<String> keySet() {
                return store.keySet();
            }

            @Override
            public Stream<T> values() {
                return store.values();
            }

            @Override
            public int size() {
                return store.size();
            }

            @Override
            public T get(String key) {
                return store.get(key);
            }
        };
    }
}
