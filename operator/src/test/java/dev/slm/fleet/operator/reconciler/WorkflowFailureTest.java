package dev.slm.fleet.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkflowFailureTest {
    private static Exception applyFailure(String name, int code, String message) {
        return new Failure.ApplyException(
                new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build(),
                new KubernetesClientException(
                        message,
                        code,
                        new StatusBuilder().withCode(code).withMessage(message).build()));
    }

    @Test
    void aRefusedDependentIsReportedBeforeARetryableOneAndKeepsTheServersFieldMessage() {
        // JOSDK's metrics wrap what the reconciler throws in an OperatorException.
        Failure f = Failure.of(new io.javaoperatorsdk.operator.OperatorException(new AggregatedOperatorException(
                "workflow failed",
                Map.of(
                        "a-service", applyFailure("intent", 500, "etcdserver: request timed out"),
                        "deployment",
                                applyFailure(
                                        "intent",
                                        422,
                                        "Deployment.apps \"intent\" is invalid: spec.template.spec.nodeSelector:"
                                                + " Invalid value")))));
        assertThat(f.reason()).isEqualTo("ApplyRefused");
        assertThat(f.message()).contains("Deployment intent").contains("spec.template.spec.nodeSelector");
        assertThat(f.retry()).isFalse();
    }

    @Test
    void onlyRetryableDependentFailuresAreRetriedInNameOrder() {
        Failure f = Failure.of(new AggregatedOperatorException(
                "workflow failed",
                Map.of(
                        "b", applyFailure("router", 503, "unavailable"),
                        "a", applyFailure("intent", 500, "timeout"))));
        assertThat(f.reason()).isEqualTo("ApiError");
        assertThat(f.message()).contains("Deployment intent").contains("HTTP 500");
        assertThat(f.retry()).isTrue();
    }
}
