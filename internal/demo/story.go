package demo

import (
	"context"

	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/sign"
	"time"
)

// pipeline is every stage of a release pipeline attesting a good build.
func (d *demo) pipeline(ctx context.Context, ref, integration string) error {
	steps := []func() error{
		func() error { return d.provenance(ctx, ref) },
		func() error { return d.attestReport(ctx, ref, "unit.jsonl", "unit") },
		func() error { return d.attestReport(ctx, ref, "go-chi.cover", "") },
		func() error { return d.attestReport(ctx, ref, "trivy-clean.json", "") },
		func() error { return d.attestReport(ctx, ref, integration, "integration") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) approvals(ctx context.Context, ref string, roles ...string) error {
	for _, role := range roles {
		if err := d.approve(ctx, ref, role, "GO", role+" has reviewed this build"); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) story(ctx context.Context) error {
	d.heading("A build goes through the pipeline and every stakeholder says GO")
	good, goodDigest, err := d.push(ctx, "1.0")
	if err != nil {
		return err
	}
	if err := d.pipeline(ctx, good, "integration-pass.xml"); err != nil {
		return err
	}
	if err := d.approvals(ctx, good, "module-lead", "qa", "sre"); err != nil {
		return err
	}
	if err := d.verify(ctx, good, true); err != nil {
		return err
	}

	d.heading("The integration tests failed: not blessed, whoever says GO")
	failing, _, err := d.push(ctx, "1.1-failing")
	if err != nil {
		return err
	}
	if err := d.pipeline(ctx, failing, "integration-fail.xml"); err != nil {
		return err
	}
	if err := d.approvals(ctx, failing, "module-lead", "qa", "sre"); err != nil {
		return err
	}
	if err := d.verify(ctx, failing, false); err != nil {
		return err
	}

	d.heading("SRE has not said GO yet: not blessed")
	waiting, _, err := d.push(ctx, "1.2-waiting")
	if err != nil {
		return err
	}
	if err := d.pipeline(ctx, waiting, "integration-pass.xml"); err != nil {
		return err
	}
	if err := d.approvals(ctx, waiting, "module-lead", "qa"); err != nil {
		return err
	}
	if err := d.forge(ctx, waiting); err != nil {
		return err
	}
	if err := d.verify(ctx, waiting, false); err != nil {
		return err
	}

	d.heading("SRE says NOGO: one NOGO blocks, however many GOs there are")
	if err := d.approve(ctx, waiting, "sre", "NOGO", "no runbook for the new payment queue"); err != nil {
		return err
	}
	if err := d.verify(ctx, waiting, false); err != nil {
		return err
	}

	d.heading("The good build is rebuilt: a new digest inherits nothing")
	rebuilt, _, err := d.push(ctx, "1.0")
	if err != nil {
		return err
	}
	d.say("the tag 1.0 now names the rebuilt image; its evidence stays with the old digest")
	if err := d.verify(ctx, rebuilt, false); err != nil {
		return err
	}

	d.heading("The original build, by digest, is still blessed: rolling back is always allowed")
	return d.verify(ctx, goodDigest, true)
}

// forge is an impatient developer signing sre's GO with a key of their own.
func (d *demo) forge(ctx context.Context, ref string) error {
	kp, err := sign.GenerateKeyPair([]byte(password))
	if err != nil {
		return err
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte(password))
	if err != nil {
		return err
	}
	a := gate.Approval{Role: "sre", Decision: "GO", Reason: "trust me", Expires: time.Hour}
	if _, err := gate.Approve(ctx, d.client, s, ref, a, time.Now()); err != nil {
		return err
	}
	d.say("  someone signs a GO for sre with a key of their own: it is stored, and it will not count")
	return nil
}
