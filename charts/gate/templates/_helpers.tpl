{{- /*
gate.layout: the webhook's files, all in one projected volume at /etc/gate:
  /etc/gate/gate.yaml            .Values.trustConfig (paths in it are relative to /etc/gate)
  /etc/gate/webhook.yaml         .Values.config
  /etc/gate/keys/<name>          .Values.keys
  /etc/gate/data/<name>          .Values.policyData
  /etc/gate/policies/            the shipped policy (.rego files), its data in policies/data/
  /etc/gate/tls/tls.{crt,key}    the serving certificate, reloaded when the Secret changes
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

{{- /* gate.tls returns the TLS material once per render: {cert, key, ca} base64, or {} when a Secret is given. */ -}}
{{- define "gate.tls" -}}
{{- if .Values.tls.secretName -}}
{{- dict | toJson -}}
{{- else -}}
{{- $svc := include "gate.fullname" . -}}
{{- $ca := genCA (printf "%s-ca" $svc) 3650 -}}
{{- $names := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc .Release.Namespace) nil $names 3650 $ca -}}
{{- dict "cert" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc) "ca" ($ca.Cert | b64enc) | toJson -}}
{{- end -}}
{{- end }}
