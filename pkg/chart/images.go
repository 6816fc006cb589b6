package chart

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxImages bounds the distinct images of one chart gate decides: each is
// gathered and decided, so the bound caps one verify's work. Charts of one
// module run a handful of images; a chart past the bound is refused as
// undecidable rather than decided on some of them.
const MaxImages = 64

// Use is one image a chart runs, and every place its manifests name it.
type Use struct {
	Image  string   `json:"image"`
	Places []string `json:"places"` // e.g. "Deployment shop-web (shop/templates/web.yaml)"
}

// podSpecAt says where each kind that runs containers keeps its pod spec:
// Pods, and every built-in kind with a pod template, as the admission
// webhook reads them.
var podSpecAt = map[string][]string{
	"/Pod":                   {"spec"},
	"/ReplicationController": {"spec", "template", "spec"},
	"apps/Deployment":        {"spec", "template", "spec"},
	"apps/ReplicaSet":        {"spec", "template", "spec"},
	"apps/StatefulSet":       {"spec", "template", "spec"},
	"apps/DaemonSet":         {"spec", "template", "spec"},
	"batch/Job":              {"spec", "template", "spec"},
	"batch/CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
}

// Images returns every image of every container, init container and
// ephemeral container of the workloads among the rendered manifests, each
// once, in the order of the templates' names. Hooks and test Pods count:
// Helm runs them too. A manifest that is not YAML is ErrRender's, as helm
// refuses it; a workload with a container that names no image is an error.
func Images(rendered []Rendered) ([]Use, error) {
	rendered = slices.Clone(rendered)
	slices.SortFunc(rendered, func(a, b Rendered) int { return strings.Compare(a.Template, b.Template) })
	var out []Use
	at := map[string]int{}
	for _, r := range rendered {
		dec := yaml.NewDecoder(strings.NewReader(r.Content))
		for {
			var doc any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%w: %s renders YAML that does not parse: %v", ErrRender, r.Template, err)
			}
			obj, ok := doc.(map[string]any)
			if !ok {
				continue // an empty document between two ---, or a comment
			}
			err := objectImages(obj, func(image, place string) error {
				i, seen := at[image]
				if !seen {
					if len(out) == MaxImages {
						return fmt.Errorf("the chart runs more than %d distinct images, more than gate decides over in one verify", MaxImages)
					}
					i, at[image] = len(out), len(out)
					out = append(out, Use{Image: image})
				}
				if p := place + " (" + r.Template + ")"; !slices.Contains(out[i].Places, p) {
					out[i].Places = append(out[i].Places, p)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Template, err)
			}
		}
	}
	return out, nil
}

// objectImages calls add with each image obj (or, for a List, each of its
// items) runs, and how to name the object to a person.
func objectImages(obj map[string]any, add func(image, place string) error) error {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	place := kind + " " + name
	if items, ok := obj["items"].([]any); ok && strings.HasSuffix(kind, "List") {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if err := objectImages(m, add); err != nil {
					return err
				}
			}
		}
		return nil
	}
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = ""
	}
	at, ok := podSpecAt[group+"/"+kind]
	if !ok {
		return nil
	}
	var spec any = obj
	for _, k := range at {
		m, _ := spec.(map[string]any)
		spec = m[k]
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRender, place, err)
	}
	var ps struct {
		InitContainers      []container `json:"initContainers"`
		Containers          []container `json:"containers"`
		EphemeralContainers []container `json:"ephemeralContainers"`
	}
	if err := json.Unmarshal(b, &ps); err != nil {
		return fmt.Errorf("%w: %s: its pod spec does not read as one: %w", ErrRender, place, err)
	}
	for _, cs := range [][]container{ps.InitContainers, ps.Containers, ps.EphemeralContainers} {
		for _, c := range cs {
			if strings.TrimSpace(c.Image) == "" {
				return fmt.Errorf("%w: %s: container %q names no image (set the chart's image values)", ErrRender, place, c.Name)
			}
			if err := add(c.Image, place); err != nil {
				return err
			}
		}
	}
	return nil
}

type container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}
