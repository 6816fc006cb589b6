package check

import "testing"

// Read takes what kubectl, helm template and kustomize build write: several
// documents, empty ones and comments among them, and List kinds.
func TestReadFindsEveryObjectAndItsLines(t *testing.T) {
	manifest := `---
# Source: shop/templates/ns.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {gatehq.dev/guard: "true"}
---
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - name: web
              image: reg.example/web:1.0
`
	objs, err := Read("m.yaml", []byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Kind != "Namespace" || objs[1].Kind != "Deployment" {
		t.Fatalf("want Namespace and the List's Deployment, got %+v", objs)
	}
	if objs[0].Labels["gatehq.dev/guard"] != "true" {
		t.Errorf("Namespace labels: %v", objs[0].Labels)
	}
	if objs[1].Line != 13 {
		t.Errorf("Deployment at line %d, want 13", objs[1].Line)
	}
	if l := objs[1].LineOf("/spec/template/spec/containers/0/image"); l != 21 {
		t.Errorf("image at line %d, want 21", l)
	}
	if _, err := Read("bad.yaml", []byte("apiVersion: v1\nkind: [\n")); err == nil {
		t.Error("a broken manifest read without error")
	}
	if _, err := Read("nokind.yaml", []byte("apiVersion: v1\nmetadata: {name: x}\n")); err == nil {
		t.Error("an object without kind read without error")
	}
}
