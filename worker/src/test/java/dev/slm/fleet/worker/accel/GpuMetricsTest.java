package dev.slm.fleet.worker.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuMetricsTest {

    /** A stand-in nvidia-smi that answers the two queries for the selected device and records its arguments. */
    private static Path fakeSmi(Path dir) throws Exception {
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(
                smi,
                """
                #!/bin/sh
                echo "$@" >> "%s/args"
                case "$1" in
                  --query-gpu=*) echo "GPU-feed-0001, 3072, 81920, 64" ;;
                  --query-compute-apps=*) echo "%d, GPU-feed-0001, 1536" ;;
                esac
                """
                        .formatted(dir, ProcessHandle.current().pid()));
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return smi;
    }

    @Test
    void gaugesReportThisProcesssGpuMemoryAndTheDevicesUtilisation(@TempDir Path dir) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GpuMetrics m = new GpuMetrics(fakeSmi(dir).toString(), new GpuDevice(0, "GPU-feed-0001"))) {
            assertTrue(m.start(registry, Duration.ofSeconds(60)));
            double used = registry.get("gpu_memory_bytes_used")
                    .tag("device", "GPU-feed-0001")
                    .gauge()
                    .value();
            assertEquals(1536.0 * 1024 * 1024, used);
            assertEquals(
                    3072.0 * 1024 * 1024,
                    registry.get("gpu_device_memory_bytes_used").gauge().value());
            assertEquals(64.0, registry.get("gpu_utilization_percent").gauge().value());
        }
        assertTrue(Files.readString(dir.resolve("args")).contains("-i GPU-feed-0001"), "queries the allocated GPU");
    }

    @Test
    void withoutNvidiaSmiNoGpuGaugeIsExported(@TempDir Path dir) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GpuMetrics m = new GpuMetrics(dir.resolve("missing-smi").toString(), new GpuDevice(0, "0"))) {
            assertFalse(m.start(registry, Duration.ofSeconds(60)));
            assertNull(m.last());
        }
        assertTrue(registry.find("gpu_memory_bytes_used").gauges().isEmpty());
    }
}
