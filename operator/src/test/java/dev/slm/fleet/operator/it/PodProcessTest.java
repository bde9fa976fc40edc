package dev.slm.fleet.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodProcessTest {

    @Test
    void mountPathsInTheEnvironmentPointIntoTheMountsDirectoriesOnceEvenWhenOneMountIsTmp() {
        Map<String, Path> mounts = new LinkedHashMap<>();
        mounts.put("/etc/slm/pipeline", Path.of("/tmp/ci/router/volumes/pipeline"));
        mounts.put("/tmp", Path.of("/tmp/ci/router/volumes/tmp"));
        mounts.put("/models", Path.of("/tmp/ci/router/volumes/models"));
        assertThat(PodProcess.rewriteMountPath("/etc/slm/pipeline/pipeline.json", mounts))
                .isEqualTo("/tmp/ci/router/volumes/pipeline/pipeline.json");
        assertThat(PodProcess.rewriteMountPath("/tmp", mounts)).isEqualTo("/tmp/ci/router/volumes/tmp");
        assertThat(PodProcess.rewriteMountPath("file:/models/m.onnx", mounts))
                .isEqualTo("file:/tmp/ci/router/volumes/models/m.onnx");
        assertThat(PodProcess.rewriteMountPath("/tmpfile", mounts)).isEqualTo("/tmpfile");
        assertThat(PodProcess.rewriteMountPath("0.0.0.0", mounts)).isEqualTo("0.0.0.0");
    }
}
