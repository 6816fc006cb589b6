package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// repoRoot is the repository's top directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// helmTemplate renders charts/gate with the real helm and the given values (JSON is YAML).
func helmTemplate(t *testing.T, namespace string, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	helm := tool(t, "GATE_HELM", "helm", helmVersion)
	valuesFile := filepath.Join(t.TempDir(), "values.json")
	raw, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, valuesFile, raw)
	chart := filepath.Join(repoRoot(), "charts", "gate")
	if out, err := exec.Command(helm, "lint", chart, "-f", valuesFile).CombinedOutput(); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, "template", "gate", chart, "--namespace", namespace, "-f", valuesFile)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(&stdout, 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding helm's output: %v", err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

// apply server-side applies every object, as `kubectl apply --server-side` would, and returns
// what the API server stored.
func (c *cluster) apply(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(c.config(adminToken, nil))
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn := c.dynamic(t)
	var stored []*unstructured.Unstructured
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("mapping %s: %v", gvk, err)
		}
		raw, err := obj.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		ri := dyn.Resource(m.Resource)
		var res interface {
			Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error)
		} = ri
		if ns := obj.GetNamespace(); ns != "" {
			res = ri.Namespace(ns)
		}
		force := true
		out, err := res.Patch(context.Background(), obj.GetName(), types.ApplyPatchType, raw, metav1.PatchOptions{FieldManager: "gate-e2e", Force: &force})
		if err != nil {
			t.Fatalf("applying %s %s: %v", gvk.Kind, obj.GetName(), err)
		}
		stored = append(stored, out)
	}
	return stored
}
