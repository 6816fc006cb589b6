// Package e2e proves gate against the real programs its users run: the cosign CLI (v2.6 and v3),
// the CNCF distribution registry (no referrers API: the fallback tag scheme) and a registry with
// the OCI referrers API, each started as its own process. The tests run only with GATE_E2E=1,
// which scripts/e2e-registry.sh sets after installing the programs with scripts/install-tools.sh.
package e2e
