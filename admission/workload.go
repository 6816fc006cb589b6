package admission

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/go-json-experiment/json"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
		Spec     *podSpec `json:"spec"`
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
var podSpecPaths = map[metav1.GroupKind]string{
	{Group: "", Kind: "Pod"}:                   podPath,
	{Group: "", Kind: "ReplicationController"}: templatePath,
	{Group: "apps", Kind: "Deployment"}:        templatePath,
	{Group: "apps", Kind: "ReplicaSet"}:        templatePath,
	{Group: "apps", Kind: "StatefulSet"}:       templatePath,
	{Group: "apps", Kind: "DaemonSet"}:         templatePath,
	{Group: "batch", Kind: "Job"}:              templatePath,
	{Group: "batch", Kind: "CronJob"}:          cronJobPath,
}

// workload is what the webhook reads of an object: its pod spec, and the annotations of the
// object and of its pod template (and job template).
type workload struct {
	name        string
	annotations map[string]string
	spec        podSpec
	specPath    string // JSON Pointer to the pod spec
}

type podSpec struct {
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

// imageUse is one image field of a workload.
type imageUse struct {
	image string
	list  string // initContainers, containers or ephemeralContainers
	index int    // in list
	w     *workload
}

// path is the JSON Pointer to the image field, which only a patch needs: it is not built for
// every review.
func (u imageUse) path() string {
	return u.w.specPath + "/" + u.list + "/" + strconv.Itoa(u.index) + "/image"
}

// readWorkload decodes the pod spec of raw, an object of kind gk; ok is false for kinds that
// hold no pod spec.
func readWorkload(gk metav1.GroupKind, raw []byte) (w *workload, ok bool, err error) {
	path, ok := podSpecPaths[gk]
	if !ok {
		return nil, false, nil
	}
	w = &workload{specPath: path}
	var metas [3]*metadata // the object's, then its job template's and pod template's
	var spec *podSpec
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
	w.name = metas[0].Name
	if w.name == "" {
		w.name = metas[0].GenerateName
	}
	for _, m := range metas {
		if m == nil || len(m.Annotations) == 0 {
			continue
		}
		if w.annotations == nil { // the object's own, as decoded: no copy for the common Pod
			w.annotations = m.Annotations
			continue
		}
		for k, v := range m.Annotations {
			w.annotations[k] = v
		}
	}
	if spec != nil { // no pod spec yet: nothing to check
		w.spec = *spec
	}
	return w, true, nil
}

// images lists every image field: init containers, containers and ephemeral containers.
func (w *workload) images() []imageUse {
	out := make([]imageUse, 0, len(w.spec.InitContainers)+len(w.spec.Containers)+len(w.spec.EphemeralContainers))
	for _, list := range [...]struct {
		field      string
		containers []container
	}{{"initContainers", w.spec.InitContainers}, {"containers", w.spec.Containers}, {"ephemeralContainers", w.spec.EphemeralContainers}} {
		for i, c := range list.containers {
			if c.Image != "" {
				out = append(out, imageUse{image: c.Image, list: list.field, index: i, w: w})
			}
		}
	}
	return out
}

// pullSecrets names the pod's imagePullSecrets.
func (w *workload) pullSecrets() []string {
	out := make([]string, 0, len(w.spec.ImagePullSecrets))
	for _, s := range w.spec.ImagePullSecrets {
		out = append(out, s.Name)
	}
	return out
}

// distinct returns each image once, keeping the order of first use. A workload has a few
// images, for which a scan of those kept costs less than a set; a set bounds the many.
func distinct(uses []imageUse) []string {
	out := make([]string, 0, len(uses))
	var seen map[string]bool
	if len(uses) > distinctByScan {
		seen = make(map[string]bool, len(uses))
	}
	for _, u := range uses {
		switch {
		case seen == nil && slices.Contains(out, u.image), seen != nil && seen[u.image]:
			continue
		case seen != nil:
			seen[u.image] = true
		}
		out = append(out, u.image)
	}
	return out
}

// distinctByScan is how many images distinct scans rather than hashes.
const distinctByScan = 16
