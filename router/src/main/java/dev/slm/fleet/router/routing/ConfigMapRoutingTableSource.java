package dev.slm.fleet.router.routing;

import dev.slm.fleet.contract.RoutingTableCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Watches the single ConfigMap the operator maintains (through an informer limited to that one name) and reports
 * its {@code routing-table.json} key. A deleted ConfigMap or a bad value leaves the last good table in place: the
 * data plane never depends on the control plane being up.
 */
public final class ConfigMapRoutingTableSource implements RoutingTableSource {

    public static final String KEY = "routing-table.json";
    private static final Logger LOG = Logger.getLogger(ConfigMapRoutingTableSource.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final boolean ownsClient;
    private SharedIndexInformer<ConfigMap> informer;
    private volatile String lastContent;

    public ConfigMapRoutingTableSource(KubernetesClient client, String namespacedName, boolean ownsClient) {
        String[] parts = namespacedName.split("/", 2);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new IllegalArgumentException(
                    "slm.router.routing.configmap must be namespace/name, got '" + namespacedName + "'");
        }
        this.client = client;
        this.namespace = parts[0];
        this.name = parts[1];
        this.ownsClient = ownsClient;
    }

    @Override
    public void start(RoutingTableListener listener) {
        informer = client.configMaps().inNamespace(namespace).withName(name).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(ConfigMap cm) {
                apply(cm, listener);
            }

            @Override
            public void onUpdate(ConfigMap oldCm, ConfigMap newCm) {
                apply(newCm, listener);
            }

            @Override
            public void onDelete(ConfigMap cm, boolean deletedFinalStateUnknown) {
                LOG.warnf("routing ConfigMap %s/%s deleted; keeping the last good table", namespace, name);
            }
        });
        // An API server that refuses or is away (RBAC not applied yet, control plane down) must not stop the router:
        // it keeps answering from the last good table, by the fallback when there is none, and keeps trying.
        informer.exceptionHandler((started, t) -> {
            LOG.warnf(
                    "cannot %s routing ConfigMap %s/%s (%s); retrying",
                    started ? "watch" : "read", namespace, name, t.getMessage());
            return true;
        });
        informer.start();
    }

    private synchronized void apply(ConfigMap cm, RoutingTableListener listener) {
        Map<String, String> data = cm.getData();
        String content = data == null ? null : data.get(KEY);
        if (content == null) {
            LOG.warnf("routing ConfigMap %s/%s has no key %s; keeping the last good table", namespace, name, KEY);
            return;
        }
        if (content.equals(lastContent)) {
            return;
        }
        lastContent = content;
        try {
            listener.onTable(RoutingTableCodec.parse(content));
        } catch (RoutingTableCodec.InvalidRoutingTableException e) {
            LOG.warnf(
                    "routing ConfigMap %s/%s rejected: %s; keeping the last good table",
                    namespace, name, e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "configmap:" + namespace + "/" + name + "#" + KEY;
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
        if (ownsClient) {
            client.close();
        }
    }
}
