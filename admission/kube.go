package admission

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	kauth "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// eventComponent is the source the break-glass Events name.
const eventComponent = "gate-webhook"

// maxEventMessage is the API server's limit on an Event's message.
const maxEventMessage = 1024

// KubeCluster is Cluster on a Kubernetes API server: namespaces are watched into a local
// cache, pull secrets are read when a registry asks for credentials, and break-glass
// admissions are recorded as Events of the namespace.
type KubeCluster struct {
	client     kubernetes.Interface
	namespaces listersv1.NamespaceLister
	synced     cache.InformerSynced
	instance   string // this replica, named in the Events it writes
}

// NewKubeCluster watches namespaces through client until ctx is done.
func NewKubeCluster(ctx context.Context, client kubernetes.Interface, instance string) *KubeCluster {
	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	ns := factory.Core().V1().Namespaces()
	k := &KubeCluster{client: client, namespaces: ns.Lister(), synced: ns.Informer().HasSynced, instance: instance}
	factory.Start(ctx.Done())
	return k
}

// Synced reports whether the namespace cache has been filled once.
func (k *KubeCluster) Synced() bool { return k.synced() }

// NamespaceLabels reads the namespace cache, and the API server for a namespace created
// since the cache last heard.
func (k *KubeCluster) NamespaceLabels(ctx context.Context, name string) (map[string]string, error) {
	ns, err := k.namespaces.Get(name)
	if apierrors.IsNotFound(err) || !k.synced() {
		ns, err = k.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, err
	}
	return ns.Labels, nil
}

// Keychain reads the pod's imagePullSecrets and its service account's, as the kubelet would.
func (k *KubeCluster) Keychain(ctx context.Context, namespace, serviceAccount string, pullSecrets []string) (authn.Keychain, error) {
	return kauth.New(ctx, k.client, kauth.Options{Namespace: namespace, ServiceAccountName: serviceAccount, ImagePullSecrets: pullSecrets})
}

// RecordBreakGlass writes a Warning Event about the object, in its namespace.
func (k *KubeCluster) RecordBreakGlass(ctx context.Context, rec BreakGlassRecord) error {
	msg := rec.Message()
	if len(msg) > maxEventMessage {
		msg = msg[:maxEventMessage-len("…")] + "…"
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "gate-break-glass-", Namespace: rec.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: rec.Kind, Namespace: rec.Namespace, Name: rec.Name},
		Reason:         "BreakGlass",
		Message:        msg,
		Type:           corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: eventComponent, Host: k.instance},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
	}
	if _, err := k.client.CoreV1().Events(rec.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating event in %s: %w", rec.Namespace, err)
	}
	return nil
}
