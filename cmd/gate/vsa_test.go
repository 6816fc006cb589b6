package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/pkg/verify"
)

func TestVerifyAttestVSAWritesAndPushesASignedSummary(t *testing.T) {
	f := admittest.New(t)
	ref, d := f.Image(t, "team/app", "1.0")
	f.Evidence(t, ref, "module-lead")
	kp, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, out := filepath.Join(dir, "verifier.key"), filepath.Join(dir, "vsa.json")
	if err := os.WriteFile(key, kp.PrivatePEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sign.PasswordEnv, "pw")

	if code, msg := run(t, "verify", ref, "--config", f.ConfigPath, "--env", admittest.Staging, "--attest-vsa"); code != exitUndecided || !strings.Contains(msg, "--key") {
		t.Errorf("--attest-vsa without --key: exit %d, want %d naming --key:\n%s", code, exitUndecided, msg)
	}
	code, msg := run(t, "verify", ref, "--config", f.ConfigPath, "--env", admittest.Staging, "--attest-vsa", "--key", key, "--vsa-out", out)
	if code != exitBlessed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitBlessed, msg)
	}
	bundle, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKey()
	trust, err := verify.NewTrust([]verify.Key{{Name: "verifier.pub", Role: "verifier", PublicKey: pub}}, nil, nil, map[string][]string{"verifier": {attestations.VSAType}})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := trust.Bundle(bundle, d.DigestStr())
	if err != nil || ev.Predicate["verificationResult"] != attestations.VSAPassed {
		t.Fatalf("the written VSA: %v, %v", ev, err)
	}
	all, err := f.Client.ListReferrers(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	pushed := 0
	for _, a := range all {
		if a.PredicateType == attestations.VSAType {
			pushed++
		}
	}
	if pushed != 1 {
		t.Errorf("%d VSA referrers, want 1", pushed)
	}
}
