#!/usr/bin/env bash
# Worker benchmark (not a test): raw ONNX Runtime vs. Classify over gRPC, plus the tiny generator's TTFT.
# Usage (repo root): worker-image/scripts/bench-worker.sh [-Dbench.seconds=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -q -pl worker-image/proto,worker-image/worker install -DskipTests
./mvnw -B -q -pl worker-image/worker test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="$(cat worker-image/worker/target/bench.classpath):worker-image/worker/target/classes:worker-image/worker/target/test-classes"
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager "$@" -cp "$cp" \
  dev.slm.fleet.worker.bench.WorkerBenchmark worker-image/worker/target/quarkus-app/quarkus-run.jar \
  worker-image/worker/src/test/resources
