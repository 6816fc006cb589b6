// Package admission is gate's Kubernetes admission webhook: it reads AdmissionReviews over TLS,
// asks pkg/admit whether every image of the workload is blessed for its namespace's environment,
// and answers with a decision a person can read, a JSONPatch pinning tags to digests, or both.
package admission
