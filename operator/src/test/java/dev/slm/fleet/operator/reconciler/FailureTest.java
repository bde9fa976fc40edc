package dev.slm.fleet.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

class FailureTest {
    private static KubernetesClientException refused(int code, Status status) {
        return new KubernetesClientException(status.getMessage(), code, status);
    }

    private static Failure applying(KubernetesClientException e) {
        return Failure.of(new RuntimeException(
                "wrapped by the framework",
                new Failure.ApplyException(
                        new ConfigMapBuilder()
                                .withNewMetadata()
                                .withName("intent-task")
                                .endMetadata()
                                .build(),
                        e)));
    }

    @Test
    void aRefusedApplyNamesTheObjectAndKeepsTheServersFieldMessageAndIsNotRetried() {
        Failure f = applying(refused(
                422,
                new StatusBuilder()
                        .withCode(422)
                        .withMessage(
                                "ConfigMap \"intent-task\" is invalid: data: Too long: must have at most 1048576 bytes")
                        .build()));
        assertThat(f.reason()).isEqualTo("ApplyRefused");
        assertThat(f.message()).contains("ConfigMap intent-task").contains("data: Too long");
        assertThat(f.retry()).isFalse();
        assertThat(f.namespaceTerminating()).isFalse();
    }

    @Test
    void aNamespaceBeingDeletedIsRecognisedByItsCause() {
        Failure f = applying(refused(
                403,
                new StatusBuilder()
                        .withCode(403)
                        .withMessage("configmaps \"x\" is forbidden: unable to create new content in namespace a"
                                + " because it is being terminated")
                        .withNewDetails()
                        .addNewCause()
                        .withReason("NamespaceTerminating")
                        .endCause()
                        .endDetails()
                        .build()));
        assertThat(f.namespaceTerminating()).isTrue();
        assertThat(f.retry()).isFalse();
    }

    @Test
    void aMissingPermissionIsBlamedOnTheOperatorAndRetried() {
        Failure f = applying(refused(
                403,
                new StatusBuilder()
                        .withCode(403)
                        .withMessage("deployments.apps is forbidden: User \"op\" cannot patch resource")
                        .build()));
        assertThat(f.reason()).isEqualTo("OperatorForbidden");
        assertThat(f.message()).contains("check its RBAC");
        assertThat(f.retry()).isTrue();
    }

    @Test
    void anOutageIsRetriedAndNotCalledARefusal() {
        Failure f = Failure.of(new KubernetesClientException("connection refused"));
        assertThat(f.reason()).isEqualTo("ApiError");
        assertThat(f.retry()).isTrue();
        assertThat(Failure.of(new IllegalStateException("boom")).reason()).isEqualTo("ReconcileError");
    }

    @Test
    void longServerMessagesAreCutToTheConditionBound() {
        Failure f = applying(refused(
                422,
                new StatusBuilder().withCode(422).withMessage("x".repeat(5000)).build()));
        assertThat(f.message()).hasSize(Failure.MAX_MESSAGE);
    }
}
