package kube

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// chartValues are the least values that render: a trust config.
func chartValues(mode string) map[string]any {
	v := map[string]any{"trustConfig": "roles: {}\n", "certificates": map[string]any{"mode": mode}}
	if mode == "secret" {
		v["certificates"] = map[string]any{"mode": mode, "secret": map[string]any{"name": "mine", "caBundle": "Y2E="}}
	}
	return v
}

func render(t *testing.T, values map[string]any) string {
	t.Helper()
	out, errOut, err := helm(t, values, "template", "gate", chartDir(), "--namespace", gateNamespace)
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, errOut)
	}
	return out
}

// TestTheChartRendersTheSameBytesTwice: with no random material at render time, `helm
// template` (Argo CD's view of the chart) is in sync with itself, and an upgrade changes no
// certificate.
func TestTheChartRendersTheSameBytesTwice(t *testing.T) {
	requireE2E(t)
	for _, mode := range []string{"self", "cert-manager", "secret"} {
		t.Run(mode, func(t *testing.T) {
			first, second := render(t, chartValues(mode)), render(t, chartValues(mode))
			if first != second {
				t.Fatalf("two renders differ")
			}
			if strings.Contains(first, "PRIVATE KEY") || strings.Contains(first, "LS0tLS1CRUdJTi") { // base64 of "-----BEGIN"
				t.Error("the chart renders key or certificate material")
			}
		})
	}
}

// TestAMisspelledValueFailsInstall: values.schema.json closes every object gate defines.
func TestAMisspelledValueFailsInstall(t *testing.T) {
	requireE2E(t)
	for _, tc := range []struct {
		desc string
		over map[string]any
		want string
	}{
		{"a top-level key", map[string]any{"replicaCont": 3}, "replicaCont"},
		{"a nested key", map[string]any{"certificates": map[string]any{"mdoe": "self"}}, "mdoe"},
		{"a mode that does not exist", map[string]any{"certificates": map[string]any{"mode": "selfsigned"}}, "mode"},
		{"an image digest that is not one", map[string]any{"image": map[string]any{"digest": "latest"}}, "digest"},
		{"a Secret name that is not one", map[string]any{"registryCredentials": map[string]any{"secretName": "Reg_Cred"}}, "secretName"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, errOut, err := helm(t, merged(chartValues("self"), tc.over), "install", "gate", chartDir(), "--namespace", gateNamespace, "--dry-run=client")
			if err == nil {
				t.Fatal("installed")
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("the error does not name %q:\n%s", tc.want, errOut)
			}
		})
	}
}

func objects(t *testing.T, values map[string]any) map[string]*unstructured.Unstructured {
	t.Helper()
	objs := map[string]*unstructured.Unstructured{}
	for _, o := range helmTemplate(t, gateNamespace, values) {
		objs[o.GetKind()+"/"+o.GetName()] = o
	}
	return objs
}

func TestTheChartTakesTheValuesUsersExpect(t *testing.T) {
	requireE2E(t)
	v := merged(chartValues("self"), map[string]any{
		"image":                     map[string]any{"repository": "reg.example/gate", "tag": "ignored", "digest": "sha256:" + strings.Repeat("a", 64)},
		"imagePullSecrets":          []any{map[string]any{"name": "regcred"}},
		"serviceAccount":            map[string]any{"create": true, "name": "gate-sa", "annotations": map[string]any{"iam.gke.io/gcp-service-account": "gate@p.iam.gserviceaccount.com"}},
		"podAnnotations":            map[string]any{"team": "platform"},
		"podLabels":                 map[string]any{"tier": "admission"},
		"resources":                 map[string]any{"limits": map[string]any{"memory": "1Gi"}},
		"securityContext":           map[string]any{"readOnlyRootFilesystem": true, "runAsUser": 1001},
		"affinity":                  map[string]any{"nodeAffinity": map[string]any{}},
		"topologySpreadConstraints": []any{map[string]any{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}},
		"env":                       []any{map[string]any{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}},
		"volumes":                   []any{map[string]any{"name": "extra", "emptyDir": map[string]any{}}},
		"volumeMounts":              []any{map[string]any{"name": "extra", "mountPath": "/extra"}},
		"webhook":                   map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "shop"}}, "objectSelector": map[string]any{"matchLabels": map[string]any{"gated": "yes"}}},
		"metrics":                   map[string]any{"serviceMonitor": map[string]any{"enabled": true}},
		"networkPolicy":             map[string]any{"enabled": true},
		"registryCABundle":          "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	})
	objs := objects(t, v)
	d := deploymentFrom(t, objs["Deployment/gate"])
	pod := d.Spec.Template
	ctr := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	for _, c := range []struct {
		desc string
		ok   bool
	}{
		{"image by digest", ctr.Image == "reg.example/gate@sha256:"+strings.Repeat("a", 64)},
		{"imagePullSecrets", len(pod.Spec.ImagePullSecrets) == 1 && pod.Spec.ImagePullSecrets[0].Name == "regcred"},
		{"the named service account", pod.Spec.ServiceAccountName == "gate-sa" && objs["ServiceAccount/gate-sa"] != nil &&
			objs["ServiceAccount/gate-sa"].GetAnnotations()["iam.gke.io/gcp-service-account"] != ""},
		{"podAnnotations beside the checksums", pod.Annotations["team"] == "platform" && pod.Annotations["checksum/config"] != ""},
		{"podLabels beside the selector", pod.Labels["tier"] == "admission" && pod.Labels["app.kubernetes.io/name"] == "gate"},
		{"resources", ctr.Resources.Limits.Memory().String() == "1Gi"},
		{"the memory limit, to the webhook's collector", slices.ContainsFunc(ctr.Env, func(e corev1.EnvVar) bool {
			return e.Name == "GATE_MEMORY_LIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
				e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" && e.ValueFrom.ResourceFieldRef.ContainerName == ctr.Name
		})},
		{"securityContext overridden, the rest kept", *ctr.SecurityContext.RunAsUser == 1001 && ctr.SecurityContext.Capabilities != nil},
		{"affinity replaces the default", pod.Spec.Affinity.NodeAffinity != nil && pod.Spec.Affinity.PodAntiAffinity == nil},
		{"topologySpreadConstraints", len(pod.Spec.TopologySpreadConstraints) == 1},
		{"extra env, and SSL_CERT_DIR for the registry CA", env["HTTPS_PROXY"] == "http://proxy:3128" && env["SSL_CERT_DIR"] == "/etc/gate/registry-ca"},
		{"extra volumes and mounts", len(pod.Spec.Volumes) == 2 && len(ctr.VolumeMounts) == 2},
		{"a ServiceMonitor", objs["ServiceMonitor/gate"] != nil},
		{"a NetworkPolicy", objs["NetworkPolicy/gate"] != nil},
	} {
		if !c.ok {
			t.Errorf("%s: not rendered as asked", c.desc)
		}
	}
	for _, kind := range []string{"ValidatingWebhookConfiguration/gate", "MutatingWebhookConfiguration/gate"} {
		hooks, _, _ := unstructured.NestedSlice(objs[kind].Object, "webhooks")
		h := hooks[0].(map[string]any)
		ns, _, _ := unstructured.NestedStringMap(h, "namespaceSelector", "matchLabels")
		exprs, _, _ := unstructured.NestedSlice(h, "namespaceSelector", "matchExpressions")
		obj, _, _ := unstructured.NestedStringMap(h, "objectSelector", "matchLabels")
		if ns["team"] != "shop" || len(exprs) != 1 || obj["gated"] != "yes" {
			t.Errorf("%s: selectors %v %v %v, want the overrides and kube-system excluded", kind, ns, exprs, obj)
		}
		if _, has, _ := unstructured.NestedFieldNoCopy(h, "clientConfig", "caBundle"); has {
			t.Errorf("%s: caBundle rendered with certificates.mode self", kind)
		}
	}
}

func TestTheDefaultsRunAsNonRootOnAReadOnlyFilesystem(t *testing.T) {
	requireE2E(t)
	d := deploymentFrom(t, objects(t, chartValues("self"))["Deployment/gate"])
	psc, sc := d.Spec.Template.Spec.SecurityContext, d.Spec.Template.Spec.Containers[0].SecurityContext
	if !*psc.RunAsNonRoot || *psc.RunAsUser != 65532 || psc.SeccompProfile.Type != "RuntimeDefault" ||
		!*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("security contexts %+v %+v", psc, sc)
	}
}

// TestCertManagerMode renders only: no cert-manager runs here (its controller and cainjector
// need their own images and a kubelet).
func TestCertManagerMode(t *testing.T) {
	requireE2E(t)
	objs := objects(t, chartValues("cert-manager"))
	cert := objs["Certificate/gate-tls"]
	if cert == nil {
		t.Fatal("no Certificate")
	}
	names, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	if !strings.Contains(strings.Join(names, ","), "gate.gate-system.svc") {
		t.Errorf("the Certificate names %v, not the Service", names)
	}
	if objs["Issuer/gate-ca"] == nil || objs["Certificate/gate-ca"] == nil {
		t.Error("no CA of the chart's own when issuerRef is empty")
	}
	for _, kind := range []string{"ValidatingWebhookConfiguration/gate", "MutatingWebhookConfiguration/gate"} {
		if a := objs[kind].GetAnnotations()["cert-manager.io/inject-ca-from"]; a != "gate-system/gate-tls" {
			t.Errorf("%s: inject-ca-from %q", kind, a)
		}
	}
	d := deploymentFrom(t, objs["Deployment/gate"])
	if !strings.Contains(strings.Join(d.Spec.Template.Spec.Containers[0].Args, " "), "--tls-cert=/etc/gate/tls/tls.crt") {
		t.Error("the webhook does not read the Certificate's Secret")
	}
	withIssuer := objects(t, merged(chartValues("cert-manager"), map[string]any{"certificates": map[string]any{"mode": "cert-manager",
		"certManager": map[string]any{"issuerRef": map[string]any{"kind": "ClusterIssuer", "name": "corp"}}}}))
	if withIssuer["Issuer/gate-ca"] != nil {
		t.Error("the chart's own CA rendered beside issuerRef")
	}
}

// TestTheChartGivesTheWebhookItsOwnRegistryCredentials: registryCredentials.secretName mounts
// the Secret's .dockerconfigjson where DOCKER_CONFIG points (the webhook's own registry client
// reads $DOCKER_CONFIG/config.json); without it neither is rendered. A run on a real API
// server: policybundle_test.go.
func TestTheChartGivesTheWebhookItsOwnRegistryCredentials(t *testing.T) {
	requireE2E(t)
	for _, secret := range []string{"", "regcred"} {
		v := chartValues("secret")
		if secret != "" {
			v["registryCredentials"] = map[string]any{"secretName": secret}
		}
		pod := deploymentFrom(t, objects(t, v)["Deployment/gate"]).Spec.Template.Spec
		dockerConfig := ""
		for _, e := range pod.Containers[0].Env {
			if e.Name == "DOCKER_CONFIG" {
				dockerConfig = e.Value
			}
		}
		mounted := "" // the path, in the container, of the Secret's .dockerconfigjson
		for _, m := range pod.Containers[0].VolumeMounts {
			for _, vol := range pod.Volumes {
				if vol.Name != m.Name || vol.Projected == nil {
					continue
				}
				for _, src := range vol.Projected.Sources {
					if src.Secret == nil || src.Secret.Name != secret {
						continue
					}
					for _, it := range src.Secret.Items {
						if it.Key == ".dockerconfigjson" {
							mounted = m.MountPath + "/" + it.Path
						}
					}
				}
			}
		}
		switch {
		case secret == "" && (dockerConfig != "" || mounted != ""):
			t.Errorf("without registryCredentials: DOCKER_CONFIG %q, a Docker config mounted at %q", dockerConfig, mounted)
		case secret != "" && (dockerConfig == "" || mounted != dockerConfig+"/config.json"):
			t.Errorf("with registryCredentials.secretName %s: DOCKER_CONFIG %q, its .dockerconfigjson mounted at %q", secret, dockerConfig, mounted)
		}
	}
}
