package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// While production is frozen, gate status shows the freeze (who, since, reason, until) and marks
// the digest blessed before it as a rollback target, the new digest as refused by the freeze;
// gate blessed lists only the rollback targets, and --latest prints the newest of them.
func TestStatusAndBlessedShowAFreeze(t *testing.T) {
	c := newCLI(t)
	raw, _ := os.ReadFile(c.path("gate.yaml"))
	c.write("gate.yaml", string(raw)+"freeze: {repository: "+c.host+"/gate/freeze, roles: [sre]}\n")
	cfg := c.path("gate.yaml")
	c.bless(t, c.image)
	repo := c.host + "/team/app"
	_, oldRef := run(t, "blessed", repo, "--env", "production", "--latest", "--config", cfg)
	oldRef = strings.TrimSpace(oldRef)

	frozenAt := time.Now()
	until := frozenAt.Add(48 * time.Hour).UTC().Truncate(time.Second)
	if code, out := run(t, "freeze", "--env", "production", "--reason", "incident 4211", "--until", until.Format(time.RFC3339), "--key", c.path("sre.key"), "--config", cfg); code != 0 {
		t.Fatalf("freeze: exit %d: %s", code, out)
	}
	time.Sleep(time.Until(frozenAt.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	next := c.pushImage(t, "team/app:1.1")
	c.bless(t, next)

	code, out := run(t, "status", repo, "--env", "production", "--config", cfg)
	for _, s := range []string{
		`FROZEN production by sre`, `until ` + until.Format("2006-01-02 15:04 UTC") + `: "incident 4211"`,
		"BLESSED  rollback target: blessed before the freeze",
		"production is frozen by sre since",
	} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("gate status: exit %d, lacks %q:\n%s", code, s, out)
		}
	}
	_, out = run(t, "status", repo, "--env", "production", "--config", cfg, "--output", "json")
	var tbl struct {
		Freezes []struct{ Environment, Role, Reason string }
		Rows    []struct {
			Reference string
			Verdicts  []struct{ Blessed, Rollback bool }
		}
	}
	if err := json.Unmarshal([]byte(out), &tbl); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(tbl.Freezes) != 1 || tbl.Freezes[0].Role != "sre" || tbl.Freezes[0].Reason != "incident 4211" {
		t.Errorf("json freezes: %+v", tbl.Freezes)
	}
	for _, r := range tbl.Rows {
		v := r.Verdicts[0]
		if old := r.Reference == oldRef; v.Blessed != old || v.Rollback != old {
			t.Errorf("json row %s: blessed %v rollback %v, want both %v", r.Reference, v.Blessed, v.Rollback, old)
		}
	}

	code, out = run(t, "blessed", repo, "--env", "production", "--latest", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, oldRef+"\n") || !strings.Contains(out, "frozen by sre") {
		t.Errorf("gate blessed --latest while frozen: exit %d, want %s (the rollback target) then the freeze on stderr:\n%s", code, oldRef, out)
	}
	code, out = run(t, "blessed", repo, "--env", "production", "--config", cfg)
	if code != 0 || !strings.Contains(out, oldRef+"\t") || !strings.Contains(out, "rollback target") || strings.Count(out, repo+"@") != 1 {
		t.Errorf("gate blessed while frozen: exit %d, want only %s, marked a rollback target:\n%s", code, oldRef, out)
	}

	if code, out := run(t, "unfreeze", "--env", "production", "--reason", "resolved", "--key", c.path("sre.key"), "--config", cfg); code != 0 {
		t.Fatalf("unfreeze: exit %d: %s", code, out)
	}
	code, out = run(t, "status", repo, "--env", "production", "--config", cfg)
	if code != 0 || strings.Contains(out, "FROZEN") || strings.Contains(out, "rollback target") || strings.Count(out, "production  BLESSED") != 2 {
		t.Errorf("gate status after the unfreeze: exit %d, want both blessed, no freeze:\n%s", code, out)
	}
}
