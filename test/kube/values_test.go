package kube

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/pkg/admit/admittest"
)

// trustValues are chart values trusting f's keys, with shop and canary (warn) in production
// and sandbox in staging; break-glass allowed in shop.
func trustValues(t *testing.T, f *admittest.Fixture) map[string]any {
	t.Helper()
	keys := map[string]string{}
	for _, role := range admittest.Roles {
		pem, err := os.ReadFile(filepath.Join(f.Dir, role+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		keys[role+".pub"] = string(pem)
	}
	data := map[string]string{}
	for _, env := range []string{admittest.Production, admittest.Staging} {
		b, err := os.ReadFile(filepath.Join(f.Dir, env+".json"))
		if err != nil {
			t.Fatal(err)
		}
		data[env+".json"] = string(b)
	}
	return map[string]any{
		"trustConfig": `roles:
  ci:          {keys: [keys/ci.pub], maySign: [tests, vulns, cosignvuln, coverage, provenance]}
  module-lead: {keys: [keys/module-lead.pub], maySign: [approval]}
  qa:          {keys: [keys/qa.pub], maySign: [approval]}
  sre:         {keys: [keys/sre.pub], maySign: [approval]}
environments:
  production: {policy: policies, data: data/production.json}
  staging:    {policy: policies, data: data/staging.json}
defaultEnvironment: production
`,
		"keys": keys, "policyData": data,
		"config": map[string]any{
			"namespaces": map[string]any{
				"shop":    map[string]string{"environment": admittest.Production},
				"canary":  map[string]string{"environment": admittest.Production, "mode": "warn"},
				"sandbox": map[string]string{"environment": admittest.Staging},
			},
			"breakGlass": map[string]any{"namespaces": []string{"shop"}},
			"deadline":   deadline.String(),
		},
	}
}

// helm runs the real helm with values, returning its stdout, stderr and error.
func helm(t *testing.T, values map[string]any, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := tool(t, "GATE_HELM", "helm", helmVersion)
	if values != nil {
		raw, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		valuesFile := filepath.Join(t.TempDir(), "values.json")
		writeFile(t, valuesFile, raw)
		args = append(args, "-f", valuesFile)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func chartDir() string { return filepath.Join(repoRoot(), "charts", "gate") }

// merged returns base with over's keys set (one level deep for maps), leaving base as it was.
func merged(base map[string]any, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				m := map[string]any{}
				for k2, v2 := range bm {
					m[k2] = v2
				}
				for k2, v2 := range om {
					m[k2] = v2
				}
				out[k] = m
				continue
			}
		}
		out[k] = v
	}
	return out
}
