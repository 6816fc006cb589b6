package chart

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestImagesFindsEveryContainerOfEveryWorkloadKind(t *testing.T) {
	pod := func(image string) string {
		return `{initContainers: [{name: i, image: ` + image + `-init}], containers: [{name: c, image: ` + image + `}], ephemeralContainers: [{name: e, image: ` + image + `-debug}]}`
	}
	rendered := []Rendered{
		{Template: "c/templates/b.yaml", Content: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: ` + pod("pod") + `
---
# a comment only
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec: {template: {spec: ` + pod("rc") + `}}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: rs}, spec: {template: {spec: ` + pod("rs") + `}}}
`},
		{Template: "c/templates/a.yaml", Content: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {template: {spec: ` + pod("deploy") + `}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {template: {spec: ` + pod("sts") + `}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {template: {spec: ` + pod("ds") + `}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: ` + pod("job") + `}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec: {jobTemplate: {spec: {template: {spec: ` + pod("cron") + `}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: not-an-image}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: someone-elses-kind}
spec: {template: {spec: ` + pod("crd") + `}}
`},
	}
	uses, err := Images(rendered)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		got = append(got, u.Image)
	}
	var want []string
	for _, w := range []string{"deploy", "sts", "ds", "job", "cron", "pod", "rc", "rs"} {
		want = append(want, w+"-init", w, w+"-debug")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("images:\n got %v\nwant %v", got, want)
	}
	if p := uses[len(uses)-1].Places; len(p) != 1 || p[0] != "ReplicaSet rs (c/templates/b.yaml)" {
		t.Errorf("a List item's place: %v", p)
	}
}

func TestImagesNamesEachImageOnceWithEveryPlace(t *testing.T) {
	dep := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s}\nspec: {template: {spec: {containers: [{name: c, image: reg.example/app:1}]}}}\n"
	uses, err := Images([]Rendered{{Template: "t.yaml", Content: fmt.Sprintf(dep, "a") + "---\n" + fmt.Sprintf(dep, "b")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 || !reflect.DeepEqual(uses[0].Places, []string{"Deployment a (t.yaml)", "Deployment b (t.yaml)"}) {
		t.Fatalf("want one image used in two places, got %+v", uses)
	}
}

func TestImagesRefusesWhatItCannotRead(t *testing.T) {
	var many strings.Builder
	for i := range MaxImages + 1 {
		fmt.Fprintf(&many, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec: {containers: [{name: c, image: reg.example/app:%d}]}\n", i, i)
	}
	for _, tc := range []struct {
		desc, content, want string
		render              bool
	}{
		{"YAML that does not parse", "kind: [", "does not parse", true},
		{"a container without an image", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n", `container "c" names no image`, true},
		{"a pod spec of the wrong shape", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: {name: c}}\n", "does not read as one", true},
		{"more images than the bound", many.String(), fmt.Sprintf("more than %d distinct images", MaxImages), false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Images([]Rendered{{Template: "t.yaml", Content: tc.content}})
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrRender) != tc.render {
				t.Fatalf("want an error saying %q (ErrRender %v), got %v", tc.want, tc.render, err)
			}
		})
	}
}
