{{/* Names, labels and the pieces every role's pod shares. */}}

{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The roles in a fixed order; a role's objects exist only when roles.<role>.enabled. */}}
{{- define "parley.roleNames" -}}
edge session presence chatroom s2s admin
{{- end -}}

{{- define "parley.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: parley
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one role: call with (dict "root" $ "role" "edge"). */}}
{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "parley.roleLabels" -}}
{{ include "parley.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "parley.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the client-facing certificate, or nothing (self-signed at start). */}}
{{- define "parley.tlsSecretName" -}}
{{- if .Values.tls.secretName -}}
{{- .Values.tls.secretName -}}
{{- else if .Values.tls.certManager.enabled -}}
{{- printf "%s-tls" (include "parley.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "parley.backendSecretName" -}}
{{- default (printf "%s-backends" (include "parley.fullname" .)) .Values.backends.existingSecret -}}
{{- end -}}

{{/*
Checks that cannot be said in values.schema.json: each backend needs an external URL or its
in-cluster chart, and cert-manager needs an issuer.
*/}}
{{- define "parley.validate" -}}
{{- if not .Values.backends.existingSecret -}}
{{- if and (not .Values.backends.natsUrl) (not .Values.nats.enabled) -}}
{{- fail "backends.natsUrl is required (nats://user:pass@host:4222), or set backends.existingSecret, or nats.enabled=true for an in-cluster NATS" -}}
{{- end -}}
{{- if and (not .Values.backends.redisUrl) (not .Values.redis.enabled) -}}
{{- fail "backends.redisUrl is required (redis://:pass@host:6379), or set backends.existingSecret, or redis.enabled=true for an in-cluster Redis" -}}
{{- end -}}
{{- if and (not .Values.backends.databaseUrl) (not .Values.postgresql.enabled) -}}
{{- fail "backends.databaseUrl is required (postgres://user:pass@host:5432/db), or set backends.existingSecret, or postgresql.enabled=true for an in-cluster Postgres" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.backends.natsUrl .Values.nats.enabled -}}
{{- fail "give either backends.natsUrl or nats.enabled=true, not both" -}}
{{- end -}}
{{- if and .Values.backends.redisUrl .Values.redis.enabled -}}
{{- fail "give either backends.redisUrl or redis.enabled=true, not both" -}}
{{- end -}}
{{- if and .Values.backends.databaseUrl .Values.postgresql.enabled -}}
{{- fail "give either backends.databaseUrl or postgresql.enabled=true, not both" -}}
{{- end -}}
{{- if and .Values.tls.certManager.enabled .Values.tls.secretName -}}
{{- fail "tls.secretName and tls.certManager.enabled are alternatives: set one" -}}
{{- end -}}
{{- if and .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) -}}
{{- fail "tls.certManager.issuerRef.name is required when tls.certManager.enabled=true" -}}
{{- end -}}
{{- if and .Values.redis.enabled (not .Values.redis.auth.enabled) -}}
{{- fail "redis.auth.enabled must stay true: the in-cluster Redis holds session locations and shard leases" -}}
{{- end -}}
{{- end -}}

{{/*
Environment of the backend connections: URLs from the backends Secret, or composed from the
in-cluster charts' Services and generated passwords ($(VAR) expands an earlier variable).
*/}}
{{- define "parley.backendEnv" -}}
{{- $secret := include "parley.backendSecretName" . -}}
{{- $release := .Release.Name -}}
{{- if .Values.nats.enabled }}
- name: PARLEY_NATS_URL
  value: {{ printf "nats://%s-nats:4222" $release | quote }}
{{- else }}
- name: PARLEY_NATS_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: natsUrl}
{{- end }}
{{- if .Values.redis.enabled }}
- name: PARLEY_REDIS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ printf "%s-redis" $release }}, key: redis-password}
- name: PARLEY_REDIS_URL
  value: {{ printf "redis://:$(PARLEY_REDIS_PASSWORD)@%s-redis-master:6379" $release | quote }}
{{- else }}
- name: PARLEY_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: redisUrl}
{{- end }}
{{- if .Values.postgresql.enabled }}
- name: PARLEY_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ printf "%s-postgresql" $release }}, key: password}
- name: PARLEY_DATABASE_URL
  value: {{ printf "postgres://%s:$(PARLEY_DATABASE_PASSWORD)@%s-postgresql:5432/%s" .Values.postgresql.auth.username $release .Values.postgresql.auth.database | quote }}
{{- else }}
- name: PARLEY_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: databaseUrl}
{{- end }}
{{- end -}}

{{/* Volumes every Parley container mounts: writable data and tmp (the root file system is read-only), TLS. */}}
{{- define "parley.volumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- with include "parley.tlsSecretName" . }}
- name: tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- with .Values.backends.tls.secretName }}
- name: backend-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "parley.volumeMounts" -}}
- name: data
  mountPath: /var/lib/parley
- name: tmp
  mountPath: /tmp
{{- if include "parley.tlsSecretName" . }}
- name: tls
  mountPath: /etc/parley/tls
  readOnly: true
{{- end }}
{{- if .Values.backends.tls.secretName }}
- name: backend-tls
  mountPath: /etc/parley/backend-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration changes. */}}
{{- define "parley.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/backends: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}
