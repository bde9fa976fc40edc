package dev.slm.fleet.operator;

import dev.slm.fleet.operator.cache.SharedInformers;
import dev.slm.fleet.operator.reconciler.Events;
import dev.slm.fleet.operator.reconciler.SlmClusterReconciler;
import dev.slm.fleet.operator.reconciler.SlmWorkerReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point: one JOSDK Operator with the SlmCluster and SlmWorker reconcilers, leader-elected. */
public final class OperatorMain {
    static {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);
    public static final String LEASE_NAME = "slm-fleet-operator-lock";

    private OperatorMain() {}

    public static Operator create(KubernetesClient client, OperatorConfig config) {
        String identity = identity();
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withMetrics(OperatorMetrics.josdk());
            if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(
                        new LeaderElectionConfiguration(LEASE_NAME, config.leaseNamespace(), identity));
            }
        });
        Clock clock = Clock.systemUTC();
        Events events = new Events(clock, identity);
        SharedInformers shared = new SharedInformers(client);
        operator.register(new SlmClusterReconciler(config, clock, events, shared), o -> {
            if (!config.namespaces().isEmpty()) o.settingNamespaces(config.namespaces());
        });
        operator.register(new SlmWorkerReconciler(config, clock, events, shared), o -> {
            if (!config.namespaces().isEmpty()) o.settingNamespaces(config.namespaces());
        });
        return operator;
    }

    public static void main(String[] args) {
        OperatorConfig config = OperatorConfig.fromEnv(System.getenv());
        KubernetesClient client = new KubernetesClientBuilder().build();
        Operator operator = create(client, config);
        operator.installShutdownHook(Duration.ofSeconds(10));
        operator.start();
        try {
            OperatorMetrics.serve(
                    System.getenv().getOrDefault("SLM_OPERATOR_METRICS_HOST", "127.0.0.1"), config.metricsPort());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot bind the metrics port " + config.metricsPort(), e);
        }
        Log.event(
                LOG,
                "startup",
                "started",
                0,
                "operator started",
                java.util.Map.of(
                        "namespace", String.valueOf(config.namespace()), "leader_election", config.leaderElection()));
    }

    private static String identity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) return pod;
        try {
            return InetAddress.getLocalHost().getHostName() + "-"
                    + UUID.randomUUID().toString().substring(0, 8);
        } catch (Exception e) {
            return "slm-fleet-operator-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
