package workload

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/go-json-experiment/json"
)

// Kind is an object's API group ("" for the core group) and kind, as an AdmissionReview's
// request.kind and a manifest's apiVersion and kind give them.
type Kind struct {
	Group, Kind string
}

// Each kind the webhook checks keeps its pod spec at one of three depths: Pods at spec, the
// kinds with a pod template at spec.template.spec, CronJobs at spec.jobTemplate.spec.template.spec.
// Decoding into the shape of the kind reads the object in one pass, with encoding/json/v2's
// decoder (github.com/go-json-experiment/json, until Go ships it without GOEXPERIMENT): it
// validates as it decodes where encoding/json scans the object twice, which made reading a Pod
// the largest part of a review whose decision is cached. It matches names exactly, as the API
// server's own decoder does, and refuses duplicate names and invalid UTF-8.
type (
	podShape struct {
		Metadata metadata `json:"metadata"`
		Spec     *PodSpec `json:"spec"`
	}
	templateShape struct {
		Metadata metadata `json:"metadata"`
		Spec     struct {
			Template *podShape `json:"template"`
		} `json:"spec"`
	}
	cronJobShape struct {
		Metadata metadata `json:"metadata"`
		Spec     struct {
			JobTemplate *templateShape `json:"jobTemplate"`
		} `json:"spec"`
	}
)

const (
	podPath      = "/spec"
	templatePath = "/spec/template/spec"
	cronJobPath  = "/spec/jobTemplate/spec/template/spec"
)

// podSpecPaths says where each kind the webhook checks keeps its pod spec: Pods, and every
// built-in kind that holds a pod template.
var podSpecPaths = map[Kind]string{
	{Group: "", Kind: "Pod"}:                   podPath,
	{Group: "", Kind: "ReplicationController"}: templatePath,
	{Group: "apps", Kind: "Deployment"}:        templatePath,
	{Group: "apps", Kind: "ReplicaSet"}:        templatePath,
	{Group: "apps", Kind: "StatefulSet"}:       templatePath,
	{Group: "apps", Kind: "DaemonSet"}:         templatePath,
	{Group: "batch", Kind: "Job"}:              templatePath,
	{Group: "batch", Kind: "CronJob"}:          cronJobPath,
}

// Checked says whether the webhook checks objects of kind gk: Pods, and the kinds that hold a
// pod template.
func Checked(gk Kind) bool {
	_, ok := podSpecPaths[gk]
	return ok
}

// Workload is what the webhook reads of an object: its pod spec, and the annotations of the
// object and of its pod template (and job template).
type Workload struct {
	// Name is the object's name, or its generateName.
	Name string
	// Annotations are the object's, its job template's and its pod template's, in that order
	// of precedence (later over earlier).
	Annotations map[string]string
	Spec        PodSpec
	specPath    string // JSON Pointer to the pod spec
}

// PodSpec is what the webhook reads of a pod spec.
type PodSpec struct {
	ServiceAccountName  string      `json:"serviceAccountName"`
	ImagePullSecrets    []reference `json:"imagePullSecrets"`
	InitContainers      []container `json:"initContainers"`
	Containers          []container `json:"containers"`
	EphemeralContainers []container `json:"ephemeralContainers"`
}

type reference struct {
	Name string `json:"name"`
}

type container struct {
	Image string `json:"image"`
}

type metadata struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Annotations  map[string]string `json:"annotations"`
}

// Use is one image field of a workload.
type Use struct {
	Image string
	list  string // initContainers, containers or ephemeralContainers
	index int    // in list
	w     *Workload
}

// Path is the JSON Pointer to the image field, which only a patch needs: it is not built for
// every review.
func (u Use) Path() string {
	return u.w.specPath + "/" + u.list + "/" + strconv.Itoa(u.index) + "/image"
}

// Read decodes the pod spec of raw, an object of kind gk (JSON); ok is false for kinds that
// hold no pod spec.
func Read(gk Kind, raw []byte) (w *Workload, ok bool, err error) {
	path, ok := podSpecPaths[gk]
	if !ok {
		return nil, false, nil
	}
	w = &Workload{specPath: path}
	var metas [3]*metadata // the object's, then its job template's and pod template's
	var spec *PodSpec
	switch path {
	case podPath:
		var o podShape
		err = json.Unmarshal(raw, &o)
		metas[0], spec = &o.Metadata, o.Spec
	case templatePath:
		var o templateShape
		err = json.Unmarshal(raw, &o)
		metas[0] = &o.Metadata
		if t := o.Spec.Template; t != nil {
			metas[1], spec = &t.Metadata, t.Spec
		}
	case cronJobPath:
		var o cronJobShape
		err = json.Unmarshal(raw, &o)
		metas[0] = &o.Metadata
		if j := o.Spec.JobTemplate; j != nil {
			metas[1] = &j.Metadata
			if t := j.Spec.Template; t != nil {
				metas[2], spec = &t.Metadata, t.Spec
			}
		}
	}
	if err != nil {
		return nil, true, fmt.Errorf("decoding %s: %w", gk.Kind, err)
	}
	w.Name = metas[0].Name
	if w.Name == "" {
		w.Name = metas[0].GenerateName
	}
	for _, m := range metas {
		if m == nil || len(m.Annotations) == 0 {
			continue
		}
		if w.Annotations == nil { // the object's own, as decoded: no copy for the common Pod
			w.Annotations = m.Annotations
			continue
		}
		for k, v := range m.Annotations {
			w.Annotations[k] = v
		}
	}
	if spec != nil { // no pod spec yet: nothing to check
		w.Spec = *spec
	}
	return w, true, nil
}

// Images lists every image field: init containers, containers and ephemeral containers.
func (w *Workload) Images() []Use {
	out := make([]Use, 0, len(w.Spec.InitContainers)+len(w.Spec.Containers)+len(w.Spec.EphemeralContainers))
	for _, list := range [...]struct {
		field      string
		containers []container
	}{{"initContainers", w.Spec.InitContainers}, {"containers", w.Spec.Containers}, {"ephemeralContainers", w.Spec.EphemeralContainers}} {
		for i, c := range list.containers {
			if c.Image != "" {
				out = append(out, Use{Image: c.Image, list: list.field, index: i, w: w})
			}
		}
	}
	return out
}

// PullSecrets names the pod's imagePullSecrets.
func (w *Workload) PullSecrets() []string {
	out := make([]string, 0, len(w.Spec.ImagePullSecrets))
	for _, s := range w.Spec.ImagePullSecrets {
		out = append(out, s.Name)
	}
	return out
}

// Distinct returns each image once, keeping the order of first use. A workload has a few
// images, for which a scan of those kept costs less than a set; a set bounds the many.
func Distinct(uses []Use) []string {
	out := make([]string, 0, len(uses))
	var seen map[string]bool
	if len(uses) > distinctByScan {
		seen = make(map[string]bool, len(uses))
	}
	for _, u := range uses {
		switch {
		case seen == nil && slices.Contains(out, u.Image), seen != nil && seen[u.Image]:
			continue
		case seen != nil:
			seen[u.Image] = true
		}
		out = append(out, u.Image)
	}
	return out
}

// distinctByScan is how many images Distinct scans rather than hashes.
const distinctByScan = 16
