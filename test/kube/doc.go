// Package kube proves gate's admission webhook against a real Kubernetes API server: its tests
// start kube-apiserver and etcd (built by scripts/install-kube.sh) on loopback, install the Helm
// chart with the real helm, and create workloads through client-go. They run when GATE_E2E=1
// (scripts/e2e-kube.sh), and fail then if a binary is missing.
package kube
