// Package workload says what gate's admission webhook checks, with no Kubernetes client: which namespaces it guards, in which environment and mode (webhook.yaml), and the images each kind of workload runs.
package workload
