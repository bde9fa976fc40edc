package dev.slm.fleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.contract.ConfigMaps;
import dev.slm.fleet.contract.FleetManifest;
import dev.slm.fleet.contract.RoutingTableCodec;
import dev.slm.fleet.contract.Tasks;
import dev.slm.fleet.operator.router.RouterResources;
import dev.slm.fleet.operator.workload.TaskParametersMapper;
import dev.slm.fleet.proto.v1.RoutingTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local mode and the operator compile the same YAML to the same files. */
class LocalModeCompileTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    LocalMode local() throws Exception {
        return new LocalMode(tmp, ROOT.resolve(LocalMode.DEFAULT_FILE), LocalMode.Options.defaults());
    }

    @Test
    void localModeAndTheOperatorWriteTheSamePipelineConfigForTheSample() throws Exception {
        FleetManifest manifest = FleetManifest.parse(Files.readString(ROOT.resolve(LocalMode.DEFAULT_FILE)));
        var operatorPipeline =
                RouterResources.pipelineConfig(manifest.cluster(), manifest.workers(), manifest.knowledgeBase());
        String operatorFile = RouterResources.pipelineConfigMap(manifest.cluster(), operatorPipeline)
                .getData()
                .get(ConfigMaps.PIPELINE_KEY);

        assertThat(ConfigCodec.json(local().pipelineConfig())).isEqualTo(operatorFile);
        assertThat(ConfigCodec.pipeline(operatorFile).getRetrieval().getDocumentsCount())
                .isPositive();
    }

    @Test
    void localModeHandsEachWorkerTheTaskParametersTheOperatorWould() throws Exception {
        FleetManifest manifest = FleetManifest.parse(Files.readString(ROOT.resolve(LocalMode.DEFAULT_FILE)));
        var intent = manifest.workers().stream()
                .filter(w -> w.getSpec().task.value().equals(Tasks.CLASSIFY_INTENT))
                .findFirst()
                .orElseThrow();
        assertThat(dev.slm.fleet.contract.FleetCompiler.taskParameters(intent))
                .isEqualTo(TaskParametersMapper.toProto(intent.getSpec().model.parameters, intent.getSpec().runtime));
    }

    @Test
    void onlyWorkersOfOptionalStagesMayBeAbsent() throws Exception {
        List<LocalMode.WorkerSpec> workers = local().workers();
        assertThat(workers)
                .filteredOn(LocalMode.WorkerSpec::optional)
                .extracting(LocalMode.WorkerSpec::task)
                .containsExactly(Tasks.GENERATE);
        assertThat(workers).extracting(LocalMode.WorkerSpec::grpcPort).doesNotHaveDuplicates();
    }

    @Test
    void localRoutingTableCarriesTheDeclaredStageBudgets() throws Exception {
        LocalMode local = local();
        RoutingTable table = RoutingTableCodec.parse(RoutingTableCodec.toJson(local.table(local.workers())));
        assertThat(table.getTasksList())
                .filteredOn(r -> r.getTask().equals(Tasks.CLASSIFY_INTENT))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.getLatencyBudgetMs()).isEqualTo(2000);
                    assertThat(r.getEndpointsCount()).isEqualTo(1);
                });
    }

    @Test
    void withUdsTheTableNamesEachWorkersSocketInTheRunDirectory() throws Exception {
        LocalMode.Options d = LocalMode.Options.defaults();
        LocalMode local = new LocalMode(
                tmp,
                ROOT.resolve(LocalMode.DEFAULT_FILE),
                new LocalMode.Options(d.routerHttp(), d.routerGrpc(), d.workerPortBase(), d.nice(), d.jvmArgs(), true));
        RoutingTable table = RoutingTableCodec.parse(RoutingTableCodec.toJson(local.table(local.workers())));
        assertThat(table.getTasksList())
                .flatExtracting(r -> r.getEndpointsList())
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.getAddress())
                        .startsWith("unix://" + tmp.toAbsolutePath())
                        .endsWith(e.getWorker() + ".sock"));
    }
}
