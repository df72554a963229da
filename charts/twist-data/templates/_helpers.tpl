{{- define "twist-data.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "twist-data.fullname" -}}
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

{{- define "twist-data.componentName" -}}
{{- printf "%s-%s" (include "twist-data.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "twist-data.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "twist-data.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: twist
{{- end }}

{{- define "twist-data.selectorLabels" -}}
app.kubernetes.io/name: {{ include "twist-data.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* repo[:tag][@digest]; "latest" refused; requireDigest refuses a tag-only reference. */}}
{{- define "twist-data.image" -}}
{{- $img := .image }}
{{- $repo := ternary (printf "%s/%s" $img.registry $img.repository) $img.repository (ne (default "" $img.registry) "") }}
{{- if eq (default "" $img.tag) "latest" }}
{{- fail (printf "image %s: the tag \"latest\" is not allowed" $repo) }}
{{- end }}
{{- if $img.digest }}
{{- if $img.tag }}{{ printf "%s:%s@%s" $repo $img.tag $img.digest }}{{ else }}{{ printf "%s@%s" $repo $img.digest }}{{ end }}
{{- else }}
{{- if .requireDigest }}
{{- fail (printf "image %s: a digest is required (requireDigest)" $repo) }}
{{- end }}
{{- printf "%s:%s" $repo (required (printf "image %s: set a tag or a digest" $repo) $img.tag) }}
{{- end }}
{{- end }}

{{- define "twist-data.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ required "existingSecret is required: load it with k3s/load-secrets.sh" .root.Values.existingSecret }}
      key: {{ .key }}
{{- end }}

{{/* Restricted-profile container security context. */}}
{{- define "twist-data.containerSecurity" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{- define "twist-data.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}
