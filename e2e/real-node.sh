# One real node beside the KWOK nodes: Debian's containerd + runc + CNI plugins, and kubelet v1.34.4 from the cache.
# Sourced by e2e/cluster (uses its STATE, LOGS, PKI, BIN_DIR, API_PORT, log, die, free_port, cert, kubeconfig).
#
# Isolation and cleanup:
# - containerd and the kubelet run in their own mount namespace (e2e/real-node-run) and in one cgroup .../slm-<id>
#   in every v1 hierarchy (the kubelet's cgroupRoot too). `down` freezes that cgroup, SIGKILLs every process in it and
#   removes it; the mount namespace and with it every mount and network namespace pin is then gone, and with the
#   network namespaces their veths. The bridge and the NAT rule are removed by name. The cluster's watchdog runs
#   `down` when the owner dies, even by kill -9.
# - Pods get addresses from one /24 of 10.244.0.0/16 on the bridge slm<id>; no default route, only the pod subnet and
#   the Service range. ip_forward is left as it is (off here): nothing is routed off the machine.
# - Pods reach the API server at the `kubernetes` Service (10.96.0.1:443) through one DNAT rule to 127.0.0.1:API_PORT
#   (route_localnet on the bridge only), as kube-proxy would.
# - runc may not set rlimits here (no CAP_SYS_RESOURCE): containers get a base spec without process.rlimits, and
#   the pod sandboxes (whose spec containerd 1.6 builds without the base spec) go through e2e/runc-no-rlimits.

REAL_NODE_NAME=${SLM_E2E_REAL_NODE_NAME:-real-cpu-0}
REAL_NODE_LABELS="node.slm.dev/class=cpu,node.slm.dev/real=true"
PAUSE_IMAGE=slm.local/pause:e2e
SERVICE_RANGE=10.96.0.0/16
API_SERVICE_IP=10.96.0.1

real_node_id() { printf '%s' "$STATE" | sha256sum | cut -c1-8; }

# Why this machine cannot run the real node (empty when it can).
real_node_unavailable() {
  local missing=() t
  for t in containerd runc ctr unshare iptables ip jq; do command -v "$t" >/dev/null || missing+=("$t"); done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=("CNI plugins in /usr/lib/cni")
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "missing ${missing[*]} (Debian: apt-get install containerd runc iptables iproute2 jq containernetworking-plugins)"; return
  fi
  [[ $(id -u) == 0 ]] || { echo "not root (containerd and the kubelet need root)"; return; }
  [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/pids && -d /sys/fs/cgroup/freezer ]] || { echo "no cgroup v1 memory/pids/freezer hierarchy"; return; }
  unshare --mount --propagation private true 2>/dev/null || { echo "cannot create a mount namespace"; return; }
}

# The node's cgroup: slm-<id> below the memory cgroup `up` ran in (this sandbox accounts memory per process tree;
# the node stays inside that), the same path in every v1 hierarchy, as the kubelet's cgroupRoot requires.
real_node_cgroup_path() {
  local mem; mem=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
  echo "${mem%/}/slm-$(real_node_id)"
}

real_node_cgroups() { # the node's cgroup directories, one per hierarchy (none when `up` never got that far)
  local path d
  path=$(cat "$STATE/node/cgroup-path" 2>/dev/null) || return 0
  for d in /sys/fs/cgroup/*/; do [[ -f ${d}cgroup.procs ]] && echo "${d%/}$path"; done
}

real_node_up() {
  local why; why=$(real_node_unavailable)
  [[ -z $why ]] || die "cannot add the real node: $why"
  local id; id=$(real_node_id)
  local t0=$SECONDS
  RN=$STATE/node
  real_node_down
  rm -rf "$RN/kubelet/pods" "$RN/containerd/state" "$RN/cni-ipam" "$RN"/*.ready
  mkdir -p "$RN/containerd/root" "$RN/containerd/state" "$RN/kubelet/pki" "$RN/pod-logs" "$RN/net.d" "$RN/cni-ipam" "$RN/runc"
  local bridge=slm$id chain=SLM-$id octet
  exec 8>/run/lock/slm-e2e-real-node.lock
  flock 8
  octet=$(real_node_pick_subnet) || die "no free /24 in 10.244.0.0/16"
  local subnet=10.244.$octet.0/24 gateway=10.244.$octet.1
  ip link add "$bridge" type bridge
  ip addr add "$gateway/24" dev "$bridge"
  ip link set "$bridge" up
  flock -u 8
  sysctl -qw "net.ipv4.conf.$bridge.route_localnet=1"
  iptables -t nat -N "$chain"
  iptables -t nat -A "$chain" -d "$API_SERVICE_IP/32" -p tcp --dport 443 -j DNAT --to-destination "127.0.0.1:$API_PORT"
  iptables -t nat -A PREROUTING -i "$bridge" -j "$chain"
  cat >>"$STATE/env" <<EOF
REAL_NODE=$REAL_NODE_NAME
REAL_NODE_BRIDGE=$bridge
REAL_NODE_GATEWAY=$gateway
REAL_NODE_SUBNET=$subnet
EOF

  [[ -f $PKI/node-$REAL_NODE_NAME.crt ]] ||
    (cd "$PKI" && cert "node-$REAL_NODE_NAME" "/O=system:nodes/CN=system:node:$REAL_NODE_NAME" "" clientAuth)
  local stream_port kubelet_port healthz_port
  stream_port=$(free_port) kubelet_port=$(free_port) healthz_port=$(free_port)
  kubeconfig "node-$REAL_NODE_NAME" "$RN/kubelet.kubeconfig"
  echo "nameserver 127.0.0.1" >"$RN/resolv.conf"   # no DNS here: lookups fail fast inside the pod
  cat >"$RN/env" <<EOF
BIN_DIR=$BIN_DIR
RN=$RN
LOGS=$LOGS
NODE=$REAL_NODE_NAME
NODE_LABELS=$REAL_NODE_LABELS
GATEWAY=$gateway
CONTAINERD=$(command -v containerd)
EOF
  ctr oci spec | jq 'del(.process.rlimits)' >"$RN/base-spec.json"
  cat >"$RN/net.d/10-slm.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "slm-$id", "plugins": [{
  "type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false, "hairpinMode": true,
  "ipam": {"type": "host-local", "dataDir": "$RN/cni-ipam", "ranges": [[{"subnet": "$subnet", "gateway": "$gateway"}]],
           "routes": [{"dst": "$subnet"}, {"dst": "$SERVICE_RANGE"}]}}]}
EOF
  cat >"$RN/containerd.toml" <<EOF
version = 2
root = "$RN/containerd/root"
state = "$RN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$RN/containerd.sock"
[ttrpc]
  address = "$RN/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$RN/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "$stream_port"
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      base_runtime_spec = "$RN/base-spec.json"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$E2E_DIR/runc-no-rlimits"
        Root = "$RN/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RN/net.d"
    max_conf_num = 1
EOF
  cat >"$RN/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $gateway
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$RN/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: $(real_node_cgroup_path)
failCgroupV1: false
failSwapOn: false
podLogsDir: $RN/pod-logs
resolvConf: $RN/resolv.conf
maxPods: 40
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 200Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
fileCheckFrequency: 10s
rotateCertificates: false
serverTLSBootstrap: false
EOF

  local cg dir
  real_node_cgroup_path >"$RN/cgroup-path"
  for cg in $(real_node_cgroups); do
    # Parents missing in a hierarchy are created too, and listed for `down` to remove.
    mkdir -pv "$cg/node" | sed "s/^mkdir: created directory '\(.*\)'$/\1/" >>"$RN/cgroups-created"
    if [[ -f $cg/cpu.shares ]]; then
      # One group entity competes with every other process on the machine as if it were one process; weigh it as
      # the two CPUs the node advertises, or its pods crawl while others build.
      dir=$(grep -m1 "^/sys/fs/cgroup/cpu/" "$RN/cgroups-created" || echo "$cg")
      echo $((1024 * $(nproc))) >"$dir/cpu.shares"
    fi
    if [[ -f $cg/cpuset.cpus ]]; then
      dir=$cg
      while [[ $(cat "$dir/cpuset.cpus") == "" ]]; do dir=$(dirname "$dir"); done
      for d in $(grep "^/sys/fs/cgroup/cpuset/" "$RN/cgroups-created"); do
        cat "$dir/cpuset.cpus" >"$d/cpuset.cpus"; cat "$dir/cpuset.mems" >"$d/cpuset.mems"
      done
    fi
  done
  # Enter the node's cgroups, then the private mount namespace; everything started below inherits both.
  nohup bash -c 'for cg in "${@:3}"; do echo $$ >"$cg/node/cgroup.procs"; done
    exec unshare --mount --propagation private -- "$1" "$2"' \
    slm-e2e-real-node "$E2E_DIR/real-node-run" "$STATE" $(real_node_cgroups) >"$LOGS/real-node.log" 2>&1 </dev/null &
  echo "real-node $!" >>"$STATE/pids"
  log "started real node $REAL_NODE_NAME (pid $!, bridge $bridge, pods $subnet), logs: $LOGS/{containerd,kubelet}.log"
  wait_for "containerd" 60 test -f "$RN/containerd.ready"
  real_node_import_images
  touch "$RN/images.ready"
  wait_for "node $REAL_NODE_NAME Ready" 120 bash -c "'$BIN_DIR/kubectl' --kubeconfig '$KUBECONFIG_FILE' get node '$REAL_NODE_NAME' --no-headers 2>/dev/null | grep -qw Ready"
  # The kubelet may not set node-role labels on itself (NodeRestriction); the admin does. The sample's cpu class
  # excludes edge-role nodes, so the role is opt-in (SLM_E2E_REAL_NODE_ROLE=edge).
  if [[ -n ${SLM_E2E_REAL_NODE_ROLE:-} ]]; then
    "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" label node "$REAL_NODE_NAME" --overwrite \
      "node-role.kubernetes.io/$SLM_E2E_REAL_NODE_ROLE=" >/dev/null
  fi
  log "real node $REAL_NODE_NAME Ready in $((SECONDS - t0))s"
}

real_node_pick_subnet() {
  local n
  for n in $(seq 1 254 | shuf); do
    ip -o -4 addr show | grep -q " 10\.244\.$n\." && continue
    ip -4 route show | grep -q "^10\.244\.$n\." && continue
    echo "$n"; return 0
  done
  return 1
}

real_node_images_dir() { echo "${SLM_E2E_IMAGES:-$E2E_DIR/../images/out}"; }

real_node_missing_images() {
  local dir f; dir=$(real_node_images_dir)
  for f in operator worker router; do
    [[ -f $dir/$f.tar ]] || { echo "no image $dir/$f.tar (make images builds them)"; return; }
  done
}

# The pause image from the cached binary, then every image images/build made (SLM_E2E_IMAGES, default images/out).
real_node_import_images() {
  local sock=$RN/containerd.sock t0=$SECONDS
  local work; work=$(mktemp -d "$RN/pause-image.XXXX")
  mkdir -p "$work/rootfs"
  cp "$BIN_DIR/pause" "$work/rootfs/pause"
  tar -C "$work/rootfs" --owner=0 --group=0 --mtime=@0 -cf "$work/layer.tar" pause
  local layer_digest; layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$(dpkg --print-architecture)" "$layer_digest" >"$work/config.json"
  local config_digest; config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config_digest.json"
  mkdir -p "$work/$layer_digest" && mv "$work/layer.tar" "$work/$layer_digest/layer.tar"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_digest" "$PAUSE_IMAGE" "$layer_digest" >"$work/manifest.json"
  tar -C "$work" -cf "$work.tar" manifest.json "$config_digest.json" "$layer_digest"
  ctr --address "$sock" -n k8s.io images import "$work.tar" >/dev/null
  rm -rf "$work" "$work.tar"
  local dir f n=0; dir=$(real_node_images_dir)
  for f in "$dir"/operator.tar "$dir"/worker.tar "$dir"/router.tar; do
    [[ -f $f ]] || { log "no image $f (run make images first); the real node goes without it"; continue; }
    ctr --address "$sock" -n k8s.io images import "$f" >/dev/null
    n=$((n + 1))
  done
  log "imported $PAUSE_IMAGE and $n images from $dir in $((SECONDS - t0))s"
}

# Idempotent; also cleans up after a kill -9 of anything, watchdog included.
real_node_down() {
  local id; id=$(real_node_id)
  local cgs; cgs=$(real_node_cgroups)
  local freezer; freezer=$(grep '^/sys/fs/cgroup/freezer/' <<<"$cgs" || true)
  if [[ -n $freezer && -d $freezer ]]; then
    echo FROZEN >"$freezer/freezer.state" 2>/dev/null || true
    local deadline=$((SECONDS + 20)) pids
    while :; do
      pids=$(for cg in $cgs; do [[ -d $cg ]] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null; done | sort -u)
      [[ -n $pids ]] || break
      kill -KILL $pids 2>/dev/null || true
      echo THAWED >"$freezer/freezer.state" 2>/dev/null || true
      [[ $SECONDS -lt $deadline ]] || { log "real node: processes left in $freezer: $pids"; break; }
      sleep 0.2
    done
  fi
  local cg
  for cg in $cgs; do [[ ! -d $cg ]] || find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
  [[ ! -f $STATE/node/cgroups-created ]] || tac "$STATE/node/cgroups-created" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
  rm -f "$STATE/node/cgroups-created" "$STATE/node/cgroup-path"
  local bridge=slm$id chain=SLM-$id
  command -v iptables >/dev/null || return 0
  while iptables -t nat -D PREROUTING -i "$bridge" -j "$chain" 2>/dev/null; do :; done
  ! iptables -t nat -F "$chain" 2>/dev/null || iptables -t nat -X "$chain"
  if ip link show "$bridge" >/dev/null 2>&1; then
    # A pod's network namespace dies with its last process and takes its veth along, but the kernel frees it
    # lazily: delete whatever veth is still attached, then the bridge.
    local veth
    for veth in $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
      ip link del "$veth" 2>/dev/null || true
    done
    ip link del "$bridge"
  fi
  rm -f "$STATE/node"/*.ready
  return 0
}
