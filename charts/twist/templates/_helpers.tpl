{{/* Chart name, truncated to the 63 characters Kubernetes allows in a label. */}}
{{- define "twist.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name: <release> when it already contains the chart name, else <release>-<chart>. */}}
{{- define "twist.fullname" -}}
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

{{/* Name of one component's objects: <fullname>-<component>. */}}
{{- define "twist.componentName" -}}
{{- printf "%s-%s" (include "twist.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "twist.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "twist.labels" -}}
helm.sh/chart: {{ include "twist.chart" . }}
app.kubernetes.io/name: {{ include "twist.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: twist
{{- end }}

{{/* Selector labels of one component (dict root, component). Never change them: selectors are immutable. */}}
{{- define "twist.selectorLabels" -}}
app.kubernetes.io/name: {{ include "twist.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Image reference (dict root, image). With a digest: repo[:tag]@sha256:...; without one the tag is
used, which image.requireDigest (true in values-production.yaml) forbids. "latest" is refused.
*/}}
{{- define "twist.image" -}}
{{- $img := .image }}
{{- $registry := default "" $img.registry }}
{{- $repo := ternary (printf "%s/%s" $registry $img.repository) $img.repository (ne $registry "") }}
{{- $tag := default "" $img.tag }}
{{- if eq $tag "latest" }}
{{- fail (printf "image %s: the tag \"latest\" is not allowed; pin a version and a digest" $repo) }}
{{- end }}
{{- if $img.digest }}
{{- if $tag }}{{ printf "%s:%s@%s" $repo $tag $img.digest }}{{ else }}{{ printf "%s@%s" $repo $img.digest }}{{ end }}
{{- else }}
{{- if .requireDigest }}
{{- fail (printf "image %s: a digest is required here (image.requireDigest); CI sets it with --set <component>.image.digest=sha256:..." $repo) }}
{{- end }}
{{- if not $tag }}
{{- fail (printf "image %s: set a tag or a digest" $repo) }}
{{- end }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}
{{- end }}

{{/* App image (dict root, svc): the shared registry plus the component's repository/tag/digest. */}}
{{- define "twist.appImage" -}}
{{- $img := dict "registry" .root.Values.image.registry "repository" .svc.image.repository "tag" (default .root.Chart.AppVersion .svc.image.tag) "digest" .svc.image.digest }}
{{- include "twist.image" (dict "image" $img "requireDigest" .root.Values.image.requireDigest) }}
{{- if and .root.Values.image.requireDigest (not .root.Values.image.registry) }}
{{- fail (printf "image %s: image.registry is required here: the registry and owner CI pushes to, e.g. --set image.registry=ghcr.io/<owner>" .svc.image.repository) }}
{{- end }}
{{- end }}

{{/* An env var read from the release's existing Secret (dict root, name, key, optional). */}}
{{- define "twist.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ required "existingSecret is required: load it with k3s/load-secrets.sh" .root.Values.existingSecret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* JDBC URL of the database. */}}
{{- define "twist.dbUrl" -}}
{{- printf "jdbc:postgresql://%s:%v/%s" .Values.database.host .Values.database.port .Values.database.name }}
{{- end }}

{{/* Redis URL (no password: that comes from REDIS_PASSWORD). */}}
{{- define "twist.redisUrl" -}}
{{- printf "redis://%s:%v/%v" .Values.redis.host .Values.redis.port .Values.redis.database }}
{{- end }}

{{/*
The shutdown budget must fit in terminationGracePeriodSeconds: preStop sleep, then the app's
readiness-DOWN drain, then its in-flight grace, plus a margin for the JVM to exit.
*/}}
{{- define "twist.checkShutdownBudget" -}}
{{- $s := .Values.shutdown }}
{{- $used := add $s.preStopSleepSeconds $s.drainDelaySeconds $s.inFlightGraceSeconds 3 }}
{{- if gt (int $used) (int $s.terminationGracePeriodSeconds) }}
{{- fail (printf "shutdown: preStopSleepSeconds + drainDelaySeconds + inFlightGraceSeconds + 3 s (= %d) must not exceed terminationGracePeriodSeconds (%d)" (int $used) (int $s.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}
