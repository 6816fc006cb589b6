package admission

import (
	"errors"
	"fmt"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ErrNoKubeconfig says the webhook has no API server to read namespaces and pull secrets from.
var ErrNoKubeconfig = errors.New("no Kubernetes API server configured: pass --kubeconfig FILE, set $KUBECONFIG, or run gate webhook in a cluster (as the chart does)")

// restConfig reads the kubeconfig files of paths (a list as $KUBECONFIG holds: the first file
// to set a value wins) or, given none, the in-cluster config.
func restConfig(paths string) (*rest.Config, error) {
	if paths == "" {
		rc, err := rest.InClusterConfig()
		if errors.Is(err, rest.ErrNotInCluster) {
			return nil, ErrNoKubeconfig
		}
		if err != nil {
			return nil, fmt.Errorf("reading the in-cluster Kubernetes config: %w", err)
		}
		return rc, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(paths)}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s (given by --kubeconfig or $KUBECONFIG): %w", paths, err)
	}
	return rc, nil
}
