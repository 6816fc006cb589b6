package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit"
)

// Options say how manifests are decided.
type Options struct {
	// Webhook is the webhook config: opt-in label, namespaces' environments and modes.
	Webhook *workload.Config
	Checker *admit.Checker
	// Registry is the registry client images are verified with.
	Registry admit.Registry
	// Namespace is where an object that names none goes (kubectl's default).
	Namespace string
	// Guarded are namespaces taken as opted in, as well as those the webhook
	// config lists and those whose Namespace object in the manifests carries
	// the opt-in label.
	Guarded []string
}

// Finding is the webhook's answer about one image of one workload.
type Finding struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Kind        string `json:"kind"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Image       string `json:"image,omitempty"`
	Guarded     bool   `json:"guarded"`
	Environment string `json:"environment,omitempty"`
	Mode        string `json:"mode,omitempty"`
	// Admitted is what the webhook would do: true for an unguarded
	// namespace, a blessed image, or a denial in warn mode.
	Admitted bool `json:"admitted"`
	// Undecided means the image could not be verified (the webhook refuses it).
	Undecided bool `json:"undecided,omitempty"`
	// Warned is a denial admitted in warn mode, with the reasons as warnings.
	Warned      bool   `json:"warned,omitempty"`
	Explanation string `json:"explanation"`
}

// Decide finds every image of every workload in objs as the webhook does and
// decides each in the environment its namespace maps to. An error means
// nothing could be decided (a bad manifest or an unknown environment).
func Decide(ctx context.Context, objs []Object, o Options) ([]Finding, error) {
	labels := namespaceLabels(objs, o)
	var out []Finding
	for i := range objs {
		obj := &objs[i]
		group, _, _ := strings.Cut(obj.APIVersion, "/")
		if !strings.Contains(obj.APIVersion, "/") {
			group = ""
		}
		w, ok, err := workload.Read(workload.Kind{Group: group, Kind: obj.Kind}, obj.JSON)
		if !ok {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s %s: %w", obj.File, obj.Line, obj.Kind, obj.Name, err)
		}
		images := w.Images()
		ns := obj.Namespace
		if ns == "" {
			ns = o.Namespace
		}
		scope := o.Webhook.ScopeOf(ns, labels[ns])
		base := Finding{File: obj.File, Kind: obj.Kind, Namespace: ns, Name: w.Name, Guarded: scope.Guarded,
			Environment: scope.Environment, Mode: string(scope.Mode)}
		if !scope.Guarded {
			f := base
			f.Line, f.Admitted = obj.Line, true
			f.Explanation = "namespace " + ns + " is not guarded: the webhook admits it unchecked"
			out = append(out, f)
			continue
		}
		refs := make([]string, len(images))
		for i, im := range images {
			refs[i] = im.Image
		}
		results, err := o.Checker.Check(ctx, o.Registry, scope.Environment, refs)
		if err != nil {
			return nil, err
		}
		for i, r := range results {
			f := base
			f.Line, f.Image = obj.LineOf(images[i].Path()), images[i].Image
			if r.Decision != nil {
				f.Environment = r.Decision.Environment
			}
			f.Undecided = r.Err != nil
			f.Warned = !r.Allowed() && !f.Undecided && scope.Mode == workload.Warn
			f.Admitted = r.Allowed() || f.Warned
			f.Explanation = r.Explain()
			if r.Allowed() {
				f.Explanation = "image " + r.Image + " is blessed for " + f.Environment
				if n := r.FreezeNote(); n != "" {
					f.Explanation += " (" + strings.TrimPrefix(n, "gate: "+r.Image+": ") + ")"
				}
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// namespaceLabels are the labels of each namespace as far as the manifests
// and the options say: offline, no cluster can be asked.
func namespaceLabels(objs []Object, o Options) map[string]map[string]string {
	labels := map[string]map[string]string{}
	set := func(ns, k, v string) {
		if labels[ns] == nil {
			labels[ns] = map[string]string{}
		}
		labels[ns][k] = v
	}
	for _, obj := range objs {
		if obj.Kind == "Namespace" && obj.APIVersion == "v1" {
			for k, v := range obj.Labels {
				set(obj.Name, k, v)
			}
		}
	}
	for ns := range o.Webhook.Namespaces {
		set(ns, o.Webhook.NamespaceLabel, "true")
	}
	for _, ns := range o.Guarded {
		set(ns, o.Webhook.NamespaceLabel, "true")
	}
	return labels
}
