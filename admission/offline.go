package admission

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file lets `gate check` decide manifests offline with the webhook's own
// reading of workloads and namespaces, rather than a copy of it.

// ImageField is one image a workload names, and the JSON Pointer to its field.
type ImageField struct {
	Image string
	Path  string
}

// WorkloadImages reads obj (JSON) as the webhook reads an admitted object of
// kind gk: every image of its pod spec, init and ephemeral containers
// included. ok is false for kinds the webhook does not check.
func WorkloadImages(gk metav1.GroupKind, obj []byte) (name string, images []ImageField, ok bool, err error) {
	w, ok, err := readWorkload(gk, obj)
	if !ok || err != nil {
		return "", nil, ok, err
	}
	for _, u := range w.images() {
		images = append(images, ImageField{Image: u.image, Path: u.path()})
	}
	return w.name, images, true, nil
}

// Scope is what the webhook applies in one namespace.
type Scope struct {
	// Guarded is false where the webhook admits everything.
	Guarded bool
	// Environment is "" for the trust config's default.
	Environment string
	Mode        Mode
}

// ScopeOf says what the webhook applies in namespace ns, whose labels are
// labels: kube-system is never guarded, and a namespace opts in with
// NamespaceLabel=true.
func (c *Config) ScopeOf(ns string, labels map[string]string) Scope {
	if slices.Contains(alwaysExempt, ns) || labels[c.NamespaceLabel] != "true" {
		return Scope{}
	}
	s := c.scopeOf(ns, labels)
	return Scope{Guarded: true, Environment: s.environment, Mode: s.mode}
}
