{{- /*
gate.layout: the webhook's files, all in one projected volume at /etc/gate:
  /etc/gate/gate.yaml            .Values.trustConfig (paths in it are relative to /etc/gate)
  /etc/gate/webhook.yaml         .Values.config
  /etc/gate/keys/<name>          .Values.keys
  /etc/gate/data/<name>          .Values.policyData
  /etc/gate/policies/            the shipped policy (.rego files), its data in policies/data/
  /etc/gate/tls/tls.{crt,key}    the serving certificate, reloaded when the Secret changes (not with certificates.mode self,
                                 where the webhook reads its Secret through the API)
  /etc/gate/registry-ca/ca.crt   .Values.registryCABundle, named by SSL_CERT_DIR
  /etc/gate/registry-auth/config.json  .Values.registryCredentials.secretName's .dockerconfigjson, named by DOCKER_CONFIG
*/ -}}
{{- define "gate.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "gate.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "gate.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ .Values.serviceAccount.name | default (include "gate.fullname" .) }}{{ else }}{{ required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}{{ end }}
{{- end }}

{{- /* gate.image: by digest when image.digest is set, else by tag. */ -}}
{{- define "gate.image" -}}
{{- if .Values.image.digest }}{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}{{ else }}{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}{{ end }}
{{- end }}

{{- /* gate.tlsSecret: the Secret holding the serving certificate, whoever makes it. */ -}}
{{- define "gate.tlsSecret" -}}
{{- if eq .Values.certificates.mode "secret" }}{{ required "certificates.secret.name is required with certificates.mode secret" .Values.certificates.secret.name }}{{ else }}{{ printf "%s-tls" (include "gate.fullname" .) }}{{ end }}
{{- end }}

{{- /* gate.certHosts: the names the API server dials: the Service's, and webhook.url's host. */ -}}
{{- define "gate.certHosts" -}}
{{- $svc := include "gate.fullname" . -}}
{{- $hosts := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) -}}
{{- with .Values.webhook.url }}{{ $hosts = append $hosts (urlParse .).hostname }}{{ end -}}
{{- join "," $hosts -}}
{{- end }}
