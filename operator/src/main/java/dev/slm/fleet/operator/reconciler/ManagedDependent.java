package dev.slm.fleet.operator.reconciler;

import dev.slm.fleet.operator.OperatorMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.LinkedHashMap;

/**
 * A JOSDK dependent whose desired state is one of the operator's pure builders. Writes are server-side applies by
 * JOSDK (field manager {@link Applier#FIELD_MANAGER}, forced), skipped when JOSDK's SSA matcher finds that the fields
 * this operator manages already hold the desired values: a hand edit of a managed field (kubectl edit, kubectl scale)
 * is reverted on the next reconcile, fields the operator does not set stay with whoever set them. The builders set
 * the controller owner reference themselves, so JOSDK adds none; the informer is the reconciler's own (named in
 * {@code @Dependent(useEventSourceWithName)}), one per kind.
 */
public abstract class ManagedDependent<R extends HasMetadata, P extends HasMetadata>
        extends CRUDKubernetesDependentResource<R, P> {

    protected ManagedDependent(Class<R> type) {
        super(type);
    }

    /** The desired object; the reconciler has put what it computed first (placement, routes) into the context. */
    protected abstract R build(P primary, Context<P> context);

    @Override
    protected final R desired(P primary, Context<P> context) {
        R desired = build(primary, context);
        if (desired.getMetadata().getAnnotations() == null) {
            desired.getMetadata().setAnnotations(new LinkedHashMap<>());
        }
        return desired;
    }

    @Override
    protected boolean addOwnerReference() {
        return false;
    }

    @Override
    public Result<R> match(R actual, R desired, P primary, Context<P> context) {
        try {
            return super.match(actual, desired, primary, context);
        } catch (RuntimeException e) {
            // JOSDK 5.3's pod-template sanitizer fails when the stored object has a resources map the desired one
            // lacks (a pool moved off a GPU class): not up to date, so the apply replaces it.
            return Result.computed(false, desired);
        }
    }

    @Override
    protected R handleCreate(R desired, P primary, Context<P> context) {
        return write(desired, () -> super.handleCreate(desired, primary, context));
    }

    @Override
    protected R handleUpdate(R actual, R desired, P primary, Context<P> context) {
        return write(desired, () -> super.handleUpdate(actual, desired, primary, context));
    }

    private R write(R desired, java.util.function.Supplier<R> apply) {
        R written;
        try {
            written = apply.get();
        } catch (KubernetesClientException e) {
            throw new Failure.ApplyException(desired, e);
        }
        OperatorMetrics.inc(OperatorMetrics.APPLIES, "kind", desired.getKind());
        return written;
    }
}
