package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTimeBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records Kubernetes Events (events.k8s.io/v1) on custom resources; a failure to record is logged, never fatal. */
public class Events {
    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private static final DateTimeFormatter MICRO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private final Clock clock;
    private final String instance;

    public Events(Clock clock, String instance) {
        this.clock = clock;
        this.instance = instance;
    }

    public void record(KubernetesClient client, HasMetadata regarding, String reason, String note, String type) {
        record(client, regarding, reason, note, type, "Placement");
    }

    public void record(
            KubernetesClient client, HasMetadata regarding, String reason, String note, String type, String action) {
        try {
            client.resource(new EventBuilder()
                            .withNewMetadata()
                            .withGenerateName(regarding.getMetadata().getName() + "-")
                            .withNamespace(regarding.getMetadata().getNamespace())
                            .endMetadata()
                            .withRegarding(new ObjectReferenceBuilder()
                                    .withApiVersion(regarding.getApiVersion())
                                    .withKind(regarding.getKind())
                                    .withName(regarding.getMetadata().getName())
                                    .withNamespace(regarding.getMetadata().getNamespace())
                                    .withUid(regarding.getMetadata().getUid())
                                    .build())
                            .withReason(reason)
                            .withNote(note.length() > 1024 ? note.substring(0, 1024) : note)
                            .withType(type)
                            .withAction(action)
                            .withReportingController("fleet.slm.dev/operator")
                            .withReportingInstance(instance)
                            .withEventTime(new MicroTimeBuilder()
                                    .withTime(MICRO.format(clock.instant()))
                                    .build())
                            .build())
                    .create();
        } catch (RuntimeException e) {
            if (Failure.of(e).namespaceTerminating()) {
                // The namespace is going away with the object the event is about: nothing to tell anyone.
                LOG.debug(
                        "no event {} on {}: its namespace is being deleted",
                        reason,
                        regarding.getMetadata().getName());
                return;
            }
            LOG.warn(
                    "could not record event {} on {}: {}",
                    reason,
                    regarding.getMetadata().getName(),
                    e.getMessage());
        }
    }
}
