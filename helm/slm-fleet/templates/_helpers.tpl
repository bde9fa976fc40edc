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
