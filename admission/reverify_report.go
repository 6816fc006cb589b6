package admission

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Reasons of the Events a Reverifier writes on Pods.
const (
	ReasonNotBlessed     = "NotBlessed"
	ReasonCouldNotVerify = "CouldNotVerify"
	ReasonBlessed        = "Blessed"
)

// report sets the gauge of each namespace and image the pass saw, drops the series of images
// no Pod runs any more, and writes an Event on each Pod whose image changed state since the
// last Event about it. unread namespaces keep their series: their Pods were not decided.
func (r *Reverifier) report(ctx context.Context, groups map[credentials][]use, unread map[string]bool, results map[podImage]admit.Result) {
	states := map[[2]string]imageState{}
	current := map[podImage]bool{}
	for k, uses := range groups {
		for _, u := range uses {
			key := podImage{string(u.pod.UID), u.image}
			current[key] = true
			res := results[key]
			st := stateOf(res)
			series := [2]string{k.namespace, u.image}
			if prev, ok := states[series]; ok {
				st = worse(prev, st)
			}
			states[series] = st
			r.tell(ctx, key, u.pod, res)
		}
	}
	for key := range r.reported {
		if !current[key] {
			delete(r.reported, key)
		}
	}
	for series := range r.series {
		if _, ok := states[series]; !ok && !unread[series[0]] {
			r.guard.metrics.forgetRunning(series[0], series[1])
			delete(r.series, series)
		}
	}
	for series, st := range states {
		r.guard.metrics.setRunning(series[0], series[1], float64(st))
		r.series[series] = true
	}
	r.guard.metrics.reverified(time.Now())
}

// worse is the state to report when Pods with different credentials got different answers
// about one image: not blessed over could not decide over blessed.
func worse(a, b imageState) imageState {
	switch {
	case a == notBlessed || b == notBlessed:
		return notBlessed
	case a == couldNotDecide || b == couldNotDecide:
		return couldNotDecide
	}
	return blessed
}

// tell writes an Event on pod when its image's state differs from what the last Event said:
// a Warning when it is not blessed or could not be decided, a Normal one when it is blessed
// again. A Pod first seen blessed gets none. An Event that could not be written is tried again
// on the next pass.
func (r *Reverifier) tell(ctx context.Context, key podImage, pod *corev1.Pod, res admit.Result) {
	st := stateOf(res)
	prev, had := r.reported[key]
	if (had && prev == st) || (!had && st == blessed) {
		r.reported[key] = st
		return
	}
	msg := eventMessage(res, st)
	r.log.Info("a running Pod's image changed state", "pod", pod.Namespace+"/"+pod.Name, "image", key.image, "blessed", int(st), "why", msg)
	if err := r.events.write(ctx, pod, key.image, st, msg); err != nil {
		r.log.Warn("could not write an Event on a Pod about its image", "pod", pod.Namespace+"/"+pod.Name, "image", key.image, "err", err)
		return
	}
	r.reported[key] = st
}

// eventMessage says what was found and what to do next.
func eventMessage(res admit.Result, st imageState) string {
	env := "its environment"
	if res.Decision != nil {
		env = res.Decision.Environment
	}
	verify := fmt.Sprintf("gate verify %s --env %s", res.Image, env)
	switch st {
	case blessed:
		return fmt.Sprintf("image %s is blessed for %s again", res.Image, env)
	case couldNotDecide:
		return res.Explain() + "; gate re-checks it every interval and does not evict the Pod; to see why, run: " + verify
	}
	rollback := fmt.Sprintf("gate blessed %s --env %s --latest", repository(res.Image), env)
	return res.Explain() + "; gate does not evict the Pod: to see why, run " + verify +
		"; to roll back, deploy the digest that " + rollback + " prints, or get a new GO with gate approve"
}

// repository is the repository of image, or image itself if it does not parse.
func repository(image string) string {
	ref, err := name.ParseReference(image)
	if err != nil {
		return image
	}
	return ref.Context().Name()
}

// podEvents writes the Events of a Reverifier. Every replica of the webhook re-verifies, so an
// Event's name is derived from the Pod, the image and the reason: the replica that reports a
// change second finds the Event the first wrote, and leaves it.
type podEvents struct {
	client   kubernetes.Interface
	instance string
	interval time.Duration
}

func (e *podEvents) write(ctx context.Context, pod *corev1.Pod, image string, st imageState, msg string) error {
	reason, kind := ReasonNotBlessed, corev1.EventTypeWarning
	switch st {
	case blessed:
		reason, kind = ReasonBlessed, corev1.EventTypeNormal
	case couldNotDecide:
		reason = ReasonCouldNotVerify
	}
	if len(msg) > maxEventMessage {
		msg = msg[:maxEventMessage-len("…")] + "…"
	}
	sum := sha256.Sum256([]byte(string(pod.UID) + "\x00" + image + "\x00" + reason))
	podName := pod.Name
	if len(podName) > 200 {
		podName = podName[:200]
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: podName + ".gate-" + hex.EncodeToString(sum[:8]), Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		Reason: reason, Message: msg, Type: kind,
		Source:         corev1.EventSource{Component: eventComponent, Host: e.instance},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	events := e.client.CoreV1().Events(pod.Namespace)
	_, err := events.Create(ctx, ev, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	old, err := events.Get(ctx, ev.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if now.Sub(old.LastTimestamp.Time) < e.interval { // another replica, or this one before a restart, said so
		return nil
	}
	// The same state again after another in between: count it on the same Event.
	patch, err := json.Marshal(map[string]any{"count": old.Count + 1, "lastTimestamp": now, "message": msg})
	if err != nil {
		return err
	}
	_, err = events.Patch(ctx, ev.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
