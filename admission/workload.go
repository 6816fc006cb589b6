package admission

import (
	"encoding/json"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Each kind the webhook checks keeps its pod spec at one of three depths: Pods at spec, the
// kinds with a pod template at spec.template.spec, CronJobs at spec.jobTemplate.spec.template.spec.
// Decoding into the shape of the kind reads the object in one pass.
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
	path  string // JSON Pointer to the image field
}

// readWorkload decodes the pod spec of raw, an object of kind gk; ok is false for kinds that
// hold no pod spec.
func readWorkload(gk metav1.GroupKind, raw []byte) (w *workload, ok bool, err error) {
	path, ok := podSpecPaths[gk]
	if !ok {
		return nil, false, nil
	}
	w = &workload{specPath: path}
	var metas []metadata
	var spec *podSpec
	switch path {
	case podPath:
		var o podShape
		err = json.Unmarshal(raw, &o)
		metas, spec = []metadata{o.Metadata}, o.Spec
	case templatePath:
		var o templateShape
		err = json.Unmarshal(raw, &o)
		metas = []metadata{o.Metadata}
		if t := o.Spec.Template; t != nil {
			metas, spec = append(metas, t.Metadata), t.Spec
		}
	case cronJobPath:
		var o cronJobShape
		err = json.Unmarshal(raw, &o)
		metas = []metadata{o.Metadata}
		if j := o.Spec.JobTemplate; j != nil {
			metas = append(metas, j.Metadata)
			if t := j.Spec.Template; t != nil {
				metas, spec = append(metas, t.Metadata), t.Spec
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
		for k, v := range m.Annotations {
			if w.annotations == nil {
				w.annotations = map[string]string{}
			}
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
	var out []imageUse
	for _, list := range []struct {
		field      string
		containers []container
	}{{"initContainers", w.spec.InitContainers}, {"containers", w.spec.Containers}, {"ephemeralContainers", w.spec.EphemeralContainers}} {
		for i, c := range list.containers {
			if c.Image != "" {
				out = append(out, imageUse{image: c.Image, path: w.specPath + "/" + list.field + "/" + strconv.Itoa(i) + "/image"})
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

// distinct returns each image once, keeping the order of first use.
func distinct(uses []imageUse) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range uses {
		if !seen[u.image] {
			seen[u.image] = true
			out = append(out, u.image)
		}
	}
	return out
}
