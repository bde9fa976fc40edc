#!/usr/bin/env bash
# Demo: local control plane (e2e/cluster up), CRDs, the operator, the chatbot sample; then placement and routing table.
# Usage: operator/demo.sh            (leaves everything running; stop with: kill <printed pid>; e2e/cluster down)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(e2e/build-binaries --print-bin-dir):$PATH"
step() { printf '\n== %s\n' "$*"; }

step "local control plane"
if [ -n "${KUBECONFIG:-}" ] && kubectl get --raw /readyz >/dev/null 2>&1; then
  echo "  using the running control plane of KUBECONFIG=$KUBECONFIG"
else
  eval "$(e2e/cluster up)"
fi
kubectl get nodes -L nvidia.com/gpu.present --no-headers | sed 's/^/  /'

step "CRDs"
kubectl apply --server-side --force-conflicts -f crds/slmclusters.fleet.slm.dev-v1.yml -f crds/slmworkers.fleet.slm.dev-v1.yml
kubectl wait --for=condition=Established crd/slmclusters.fleet.slm.dev crd/slmworkers.fleet.slm.dev --timeout=60s

step "build the operator"
./mvnw -B -q -o -pl operator -am install -DskipTests 2>/dev/null || ./mvnw -B -q -pl operator -am install -DskipTests
(cd operator && ../mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt 2>/dev/null \
  || ../mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)

step "run the operator (logs: operator/target/demo-operator.log)"
SLM_OPERATOR_LEADER_ELECTION=false java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "operator/target/classes:$(cat operator/target/classpath.txt)" dev.slm.fleet.operator.OperatorMain \
  > operator/target/demo-operator.log 2>&1 &
OPERATOR_PID=$!
echo "  operator pid $OPERATOR_PID"

step "apply the chatbot sample (intent + slots on CPU, generator on GPU)"
NS=slm-demo
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n "$NS" -k config/samples

step "waiting for the pipeline to be Ready"
kubectl wait -n "$NS" --for=condition=Ready slmworker/intent slmworker/slots slmworker/generator --timeout=180s || true
kubectl wait -n "$NS" --for=jsonpath='{.status.routingTable.endpoints}'=5 slmcluster/chatbot --timeout=120s || true

step "placement"
kubectl get -n "$NS" slmworkers
kubectl get -n "$NS" pods -L fleet.slm.dev/task,fleet.slm.dev/hardware-class -o wide

step "routing table (ConfigMap chatbot-routing, key routing-table.json)"
kubectl get -n "$NS" slmcluster chatbot
kubectl get -n "$NS" configmap chatbot-routing -o jsonpath='{.data.routing-table\.json}'; echo

echo
echo "operator still running (pid $OPERATOR_PID); stop: kill $OPERATOR_PID && e2e/cluster down"
