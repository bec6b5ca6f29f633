{{/* The chart's name, cut to the 63 characters of a DNS label. */}}
{{- define "botd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name, with the chart's name unless it already holds it. */}}
{{- define "botd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "botd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "botd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "botd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "botd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "botd.secretName" -}}
{{- default (include "botd.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "botd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "botd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "botd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The port /metrics is served on: its own, or the HTTP port's name. */}}
{{- define "botd.metricsPortName" -}}
{{- if .Values.metrics.port }}metrics{{ else }}http{{ end }}
{{- end }}

{{/*
Combinations the schema cannot express. Each fails the render with the
reason, before anything reaches the cluster.
*/}}
{{- define "botd.validate" -}}
{{- if not .Values.appId }}
{{- fail "appId is required: the app's ID (cli_...) from the developer console" }}
{{- end }}
{{- if and .Values.ingress.enabled (ne .Values.mode "webhook") }}
{{- fail "ingress.enabled needs mode: webhook (in websocket mode botd serves no webhook routes and needs no public URL)" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled needs ingress.host: the public host name the console's request URLs point to" }}
{{- end }}
{{- $preStop := ternary (int .Values.preStopSleepSeconds) 0 (eq .Values.mode "webhook") }}
{{- if le (int .Values.terminationGracePeriodSeconds) (add (int .Values.shutdownTimeoutSeconds) $preStop) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be longer than shutdownTimeoutSeconds (%d) plus the preStop sleep (%d): otherwise botd is killed before it has drained" (int .Values.terminationGracePeriodSeconds) (int .Values.shutdownTimeoutSeconds) $preStop) }}
{{- end }}
{{- if and .Values.metrics.port (eq (int .Values.metrics.port) (int .Values.port)) }}
{{- fail "metrics.port must differ from port (0 serves /metrics on port)" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "string" .Values.podDisruptionBudget.minAvailable)) (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail "podDisruptionBudget.minAvailable must be below replicaCount, or no node could ever be drained" }}
{{- end }}
{{- end }}
