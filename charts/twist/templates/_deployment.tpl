{{/*
One service's Deployment (dict root, component, svc, configTemplate, env, volumes, mounts,
labels). Readiness-gated rollout: a new pod must pass /ready and stay ready minReadySeconds
before an old one is removed (maxUnavailable 0, maxSurge 1), so a broken release never takes
capacity away and `helm upgrade --wait` fails instead of going green.
*/}}
{{- define "twist.deployment" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $svc := .svc }}
{{- include "twist.checkShutdownBudget" $root }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "twist.componentName" (dict "root" $root "component" .component) }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "twist.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ $svc.replicaCount }}
  revisionHistoryLimit: {{ $v.rollout.revisionHistoryLimit }}
  minReadySeconds: {{ $v.rollout.minReadySeconds }}
  progressDeadlineSeconds: {{ $v.rollout.progressDeadlineSeconds }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: {{ $v.rollout.maxUnavailable }}
      maxSurge: {{ $v.rollout.maxSurge }}
  selector:
    matchLabels:
      {{- include "twist.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "twist.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
        {{- with .labels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # a change of the non-secret configuration rolls the pods
        checksum/config: {{ include (print $root.Template.BasePath "/" .configTemplate) $root | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "twist.fullname" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.shutdown.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "twist.appImage" (dict "root" $root "svc" $svc) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $svc.port }}
              protocol: TCP
            # /metrics: scraped by Prometheus (pod discovery), exposed by no Service
            - name: management
              containerPort: {{ $svc.managementPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "twist.componentName" (dict "root" $root "component" .component) }}
          env:
            {{- .env | nindent 12 }}
            {{- with $svc.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /health
              port: http
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /health
              port: http
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            {{- toYaml $v.probes.readiness | nindent 12 }}
          {{- if gt (int $v.shutdown.preStopSleepSeconds) 0 }}
          lifecycle:
            # Endpoint removal and SIGTERM happen at the same time; this sleep (a kubelet action,
            # no shell needed) keeps the pod serving until Traefik, kube-proxy and cloudflared
            # have dropped it. The app's own drain (readiness DOWN for drainDelaySeconds) follows.
            preStop:
              sleep:
                seconds: {{ $v.shutdown.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with .mounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $v.tmpSizeLimit }}
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
