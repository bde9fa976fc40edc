package dev.slm.fleet.worker.accel;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * gpu_memory_bytes_used and gpu_utilization_percent of the worker's GPU, sampled from nvidia-smi (which reads NVML)
 * on a timer, never on the scrape path. Registered only when the model runs on a GPU provider.
 *
 * <p>nvidia-smi rather than NVML through JNA: no native binding or extra dependency in the image, the NVIDIA
 * container toolkit mounts nvidia-smi with the driver (capability "utility"), and one call every few seconds costs
 * nothing beside inference. Jetson has no NVML; there the gauges are absent and the log says why.
 */
public final class GpuMetrics implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GpuMetrics.class);
    private static final long TIMEOUT_S = 10;

    private final String smi;
    private final GpuDevice device;
    private final long pid = ProcessHandle.current().pid();
    private volatile GpuSample last;
    private ScheduledExecutorService timer;

    public GpuMetrics(String smi, GpuDevice device) {
        this.smi = smi;
        this.device = device;
    }

    /** Takes a first reading; registers the gauges and starts the timer only if it succeeds. */
    public boolean start(MeterRegistry registry, Duration interval) {
        try {
            last = sample();
        } catch (IOException | RuntimeException e) {
            LOG.warnf("GPU metrics unavailable (%s -i %s): %s", smi, device.smiSelector(), e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        String uuid = last.uuid();
        Gauge.builder("gpu_memory_bytes_used", this, m -> m.last == null ? Double.NaN : m.last.usedBytes())
                .tag("device", uuid)
                .description("GPU memory this worker holds (the device's use where nvidia-smi cannot see our PID)")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("gpu_device_memory_bytes_used", this, m -> m.last == null ? Double.NaN : m.last.deviceBytes())
                .tag("device", uuid)
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("gpu_memory_bytes_total", this, m -> m.last == null ? Double.NaN : m.last.totalBytes())
                .tag("device", uuid)
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("gpu_utilization_percent", this, m -> m.last == null ? Double.NaN : m.last.utilizationPercent())
                .tag("device", uuid)
                .description("share of the last sample period the GPU ran a kernel (NVML utilization.gpu)")
                .register(registry);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gpu-metrics");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1000, interval.toMillis());
        timer.scheduleWithFixedDelay(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
        LOG.infof("GPU metrics from %s for device %s (%s)", smi, device.smiSelector(), uuid);
        return true;
    }

    public GpuSample last() {
        return last;
    }

    private void refresh() {
        try {
            last = sample();
        } catch (IOException | RuntimeException e) {
            LOG.debugf("GPU sample failed: %s", e.getMessage());
            last = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    GpuSample sample() throws IOException, InterruptedException {
        String gpu = run(List.of(GpuSample.GPU_QUERY, "--format=csv,noheader,nounits", "-i", device.smiSelector()));
        String apps = run(List.of(GpuSample.APPS_QUERY, "--format=csv,noheader,nounits", "-i", device.smiSelector()));
        return GpuSample.parse(gpu, apps, pid);
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(smi);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(smi + " did not answer within " + TIMEOUT_S + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(smi + " exited " + p.exitValue() + ": " + text.strip());
        }
        return text;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
