package dev.slm.fleet.operator.it;

import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.OperatorMain;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;

/** The operator, in-process, on its own client whose writes are counted. */
final class RunningOperator implements AutoCloseable {
    final WriteCounter writes = new WriteCounter();
    final KubernetesClient client;
    final Operator operator;

    RunningOperator(Config config, OperatorConfig operatorConfig) {
        client = new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("write-counter", writes))
                .build();
        operator = OperatorMain.create(client, operatorConfig);
        operator.start();
    }

    @Override
    public void close() {
        operator.stop();
        client.close();
    }
}
