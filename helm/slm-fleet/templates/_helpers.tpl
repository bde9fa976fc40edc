{{- define "slm-fleet.name" -}}slm-fleet-operator{{- end -}}
{{- define "slm-fleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default "slm-fleet-operator" .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}
{{- define "slm-fleet.labels" -}}
app.kubernetes.io/name: slm-fleet-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- /* Reads the operator needs across the cluster in both modes. */ -}}
{{- define "slm-fleet.readRules" -}}
- apiGroups: [""]
  resources: ["pods", "nodes"]
  verbs: ["get", "list", "watch"]
{{- end -}}
{{- /* What the operator does inside a watched namespace (same as config/rbac/role.yaml). */ -}}
{{- define "slm-fleet.namespacedRules" -}}
- apiGroups: ["fleet.slm.dev"]
  resources: ["slmclusters", "slmworkers"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["fleet.slm.dev"]
  resources: ["slmclusters/status", "slmworkers/status"]
  verbs: ["get", "patch", "update"]
# Pods on a lost node are force-deleted so that their controller can replace them.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["delete"]
- apiGroups: [""]
  resources: ["configmaps", "services", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# The router of each SlmCluster gets a Role that reads only its routing-table ConfigMap.
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
