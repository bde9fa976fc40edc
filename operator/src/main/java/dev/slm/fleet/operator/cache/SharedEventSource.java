package dev.slm.fleet.operator.cache;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import java.util.Set;

/**
 * A JOSDK event source over one of the {@link SharedInformers}: the informer's changes that pass this controller's
 * filters become events for the primaries its mapper names. Readers use {@link SharedInformers}' indexes, not {@code
 * Context.getSecondaryResources}, so this source lists no secondaries itself.
 */
public final class SharedEventSource<R extends HasMetadata, P extends HasMetadata> extends AbstractEventSource<R, P>
        implements ResourceEventHandler<R> {

    /**
     * Which changes wake a primary: additions and deletions pass or not as a whole, updates by comparison; a deletion
     * also wakes the primaries {@code alsoOnDelete} names (those a freed resource may concern).
     */
    public record Filters<R>(
            java.util.function.Predicate<R> onAdd,
            java.util.function.BiPredicate<R, R> onUpdate,
            java.util.function.Predicate<R> onDelete,
            SecondaryToPrimaryMapper<R> alsoOnDelete) {
        public Filters(
                java.util.function.Predicate<R> onAdd,
                java.util.function.BiPredicate<R, R> onUpdate,
                java.util.function.Predicate<R> onDelete) {
            this(onAdd, onUpdate, onDelete, r -> Set.of());
        }
    }

    private final SharedInformers shared;
    private final SharedIndexInformer<R> informer;
    private final SecondaryToPrimaryMapper<R> mapper;
    private final Filters<R> filters;

    private SharedEventSource(
            String name,
            Class<R> type,
            SharedInformers shared,
            SharedIndexInformer<R> informer,
            SecondaryToPrimaryMapper<R> mapper,
            Filters<R> filters) {
        super(type, name);
        this.shared = shared;
        this.informer = informer;
        this.mapper = mapper;
        this.filters = filters;
    }

    public static <P extends HasMetadata> SharedEventSource<Pod, P> pods(
            String name, SharedInformers shared, SecondaryToPrimaryMapper<Pod> mapper, Filters<Pod> filters) {
        return new SharedEventSource<>(name, Pod.class, shared, shared.podInformer(), mapper, filters);
    }

    public static <P extends HasMetadata> SharedEventSource<Node, P> nodes(
            String name, SharedInformers shared, SecondaryToPrimaryMapper<Node> mapper, Filters<Node> filters) {
        return new SharedEventSource<>(name, Node.class, shared, shared.nodeInformer(), mapper, filters);
    }

    @Override
    public void start() throws OperatorException {
        shared.acquire(informer);
        informer.addEventHandler(this);
        super.start();
    }

    @Override
    public void stop() throws OperatorException {
        super.stop();
        informer.removeEventHandler(this);
        shared.release(informer);
    }

    @Override
    public Set<R> getSecondaryResources(P primary) {
        return Set.of();
    }

    @Override
    public void onAdd(R resource) {
        if (filters.onAdd().test(resource)) fire(resource);
    }

    @Override
    public void onUpdate(R oldResource, R newResource) {
        if (filters.onUpdate().test(oldResource, newResource)) fire(newResource);
    }

    @Override
    public void onDelete(R resource, boolean deletedFinalStateUnknown) {
        if (!filters.onDelete().test(resource)) return;
        Set<ResourceID> ids = new java.util.HashSet<>(mapper.toPrimaryResourceIDs(resource));
        ids.addAll(filters.alsoOnDelete().toPrimaryResourceIDs(resource));
        fire(ids);
    }

    private void fire(R resource) {
        fire(mapper.toPrimaryResourceIDs(resource));
    }

    private void fire(Set<ResourceID> ids) {
        if (!isRunning() || getEventHandler() == null) return;
        for (ResourceID id : ids) {
            getEventHandler().handleEvent(new Event(id));
        }
    }
}
