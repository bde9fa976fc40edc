package dev.slm.fleet.operator.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.api.v1alpha1.FallbackSpec;
import dev.slm.fleet.api.v1alpha1.RouterSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.operator.Fixtures;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.proto.v1.PipelineConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterResourcesTest {
    @Test
    void pipelineConfigCarriesStagesPrioritiesAndFallbackAsProtoJson() throws Exception {
        SlmCluster c = Fixtures.cluster("chat");
        c.getSpec().router = new RouterSpec();
        c.getSpec().router.confidenceThreshold = 0.5;
        c.getSpec().router.fallback = new FallbackSpec();
        c.getSpec().router.fallback.mode = FallbackSpec.Mode.RULES;
        c.getSpec().router.fallback.templates = Map.of("book_table", "Booked for {people}.");
        String json = RouterResources.pipelineConfigMap(c).getData().get(Labels.PIPELINE_KEY);
        PipelineConfig.Builder p = PipelineConfig.newBuilder();
        JsonFormat.parser().merge(json, p);
        assertThat(p.getStages(0).getTasksList()).containsExactly("classify-intent", "extract-slots");
        assertThat(p.getStages(1).getTasksList()).containsExactly("generate");
        assertThat(p.getPrioritiesList())
                .extracting(x -> x.getName())
                .containsExactly("critical", "standard", "sheddable");
        assertThat(p.getDefaultPriority()).isEqualTo("standard");
        assertThat(p.getConfidenceThreshold()).isEqualTo(0.5f);
        assertThat(p.getFallback().getMode()).isEqualTo("rules");
        assertThat(p.getFallback().getTemplatesMap()).containsEntry("book_table", "Booked for {people}.");
    }

    @Test
    void routerDeploymentIsWiredToThePipelineFileAndTheRoutingConfigMap() {
        SlmCluster c = Fixtures.cluster("chat");
        var d = RouterResources.deployment(c, OperatorConfig.defaults());
        var env = d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
        assertThat(env).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SLM_ROUTER_ROUTING_CONFIGMAP");
            assertThat(e.getValue()).isEqualTo("ns/chat-routing");
        });
        assertThat(env).anySatisfy(e -> assertThat(e.getName()).isEqualTo("SLM_ROUTER_PIPELINE_FILE"));
        assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("chat-router");
        assertThat(RouterResources.role(c).getRules().get(0).getResourceNames()).containsExactly("chat-routing");
        assertThat(RouterResources.role(c).getRules().get(0).getVerbs()).containsExactly("get", "list", "watch");
    }

    @Test
    void aKnowledgeBaseChangeLeavesTheRouterPodsAloneAndAStageChangeRollsThem() {
        SlmCluster c = Fixtures.cluster("chat");
        c.getSpec().retrieval = new dev.slm.fleet.api.v1alpha1.RetrievalSpec();
        c.getSpec().retrieval.configMapName = "kb";
        c.getSpec().pipeline = null; // the default plan embeds when retrieval is set
        java.util.function.Function<PipelineConfig, String> hash =
                p -> RouterResources.deployment(c, p, OperatorConfig.defaults())
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getAnnotations()
                        .get(Labels.CONFIG_HASH);
        PipelineConfig before = RouterResources.pipelineConfig(c, java.util.List.of(), Map.of("hours", "9 to 5"));
        PipelineConfig after = RouterResources.pipelineConfig(c, java.util.List.of(), Map.of("hours", "8 to 8"));
        assertThat(after).isNotEqualTo(before);
        assertThat(hash.apply(after)).isEqualTo(hash.apply(before));
        assertThat(hash.apply(before.toBuilder().setConfidenceThreshold(0.9f).build()))
                .isNotEqualTo(hash.apply(before));
    }

    @Test
    void routerLivenessWaitsForAStartupProbeThatAllowsASlowJvmStart() {
        var container = RouterResources.deployment(Fixtures.cluster("chat"), OperatorConfig.defaults())
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        var startup = container.getStartupProbe();
        assertThat(startup.getHttpGet().getPath()).isEqualTo("/q/health/started");
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).isGreaterThanOrEqualTo(120);
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    }
}
