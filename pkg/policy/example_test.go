package policy_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gatehq/gate/pkg/policy"
)

func ExamplePolicy_Evaluate() {
	ctx := context.Background()
	params, err := policy.LoadParams("../../policies/data/staging.json")
	if err != nil {
		log.Fatal(err)
	}
	p, err := policy.Load(ctx, "../../policies", params) // once
	if err != nil {
		log.Fatal(err)
	}
	d, err := p.Evaluate(ctx, policy.Input{ // per subject
		Subject:     policy.Subject{Digest: "sha256:4f3c0a", Reference: "registry.acme.com/app:v1.4.0"},
		Environment: "staging",
		Now:         time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Evidence: []policy.Evidence{{
			PredicateType: "https://gatehq.dev/attestation/coverage/v0.1",
			Signer:        policy.Signer{Role: "ci", Identity: "0f9e4b8c1d2a3b4c5d6e"},
			Predicate:     map[string]any{"format": "gocover", "percent": 72.5},
		}},
	})
	if err != nil {
		log.Fatal(err) // could not decide: refuse
	}
	for _, g := range d.Gates {
		fmt.Printf("%-20s %-5v %s\n", g.Name, g.Passed, g.Reason)
	}
	fmt.Println("allowed:", d.Allowed)
	// Output:
	// tests/unit           false unit: no test results
	// coverage             true  coverage 72.5% meets 60%
	// vulnerabilities      false no vulnerability scan
	// approval/module-lead false module-lead: 0 of 1 GO approvals
	// nogo                 true  no NOGO from module-lead
	// allowed: false
}
