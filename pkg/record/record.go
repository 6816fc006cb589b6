package record

import (
	"errors"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/policy"
)

// MaxSize bounds one record, a line of the log. An input carries every
// predicate the policy saw, and a scan of a fat image runs to megabytes; a
// record past this is refused when written, so that every record written can
// be read back.
const MaxSize = 16 << 20

// Record is one decision: when, about which image, in which environment,
// under which policy, on which input, and with what outcome.
type Record struct {
	Time        time.Time `json:"time"`
	Image       string    `json:"image"`
	Digest      string    `json:"digest"`
	Environment string    `json:"environment"`
	// PolicyVersion is policy.Policy.Version: a digest of the policy's files
	// and params, or for a signed policy bundle its oci://REG/REPO@sha256:….
	PolicyVersion string `json:"policyVersion"`
	// Origin says which part of gate decided: "verify", "admission".
	Origin  string        `json:"origin,omitempty"`
	Input   *policy.Input `json:"input"`
	Allowed bool          `json:"allowed"`
	Gates   []policy.Gate `json:"gates"`
}

// ErrInvalid is wrapped by the error about a record that lacks what a
// replay needs.
var ErrInvalid = errors.New("invalid decision record")

// Check reports what r lacks for a replay: its digest, environment, or an
// input with a time.
func (r *Record) Check() error {
	switch {
	case r.Digest == "":
		return fmt.Errorf("%w: no digest", ErrInvalid)
	case r.Environment == "":
		return fmt.Errorf("%w: no environment", ErrInvalid)
	case r.Input == nil:
		return fmt.Errorf("%w: no input", ErrInvalid)
	case r.Input.Now.IsZero():
		return fmt.Errorf("%w: input has no time", ErrInvalid)
	case r.Input.Subject.Digest != r.Digest:
		return fmt.Errorf("%w: input is about %s, the record about %s", ErrInvalid, r.Input.Subject.Digest, r.Digest)
	}
	return nil
}

// FromVSA says whether r's decision was taken from a verification summary
// (the webhook's fast path): its input is the VSA, not the evidence the
// VSA summarized, so no other policy can be replayed on it.
func (r *Record) FromVSA() bool {
	return len(r.Gates) == 1 && r.Gates[0].Name == gate.VSAGate
}

// Latest keeps, of records about one digest in one environment, the last
// one that a policy can be replayed on (not FromVSA): what a subject's
// decision is now, however often it was asked. Order is kept otherwise.
func Latest(entries []Entry) []Entry {
	type key struct{ digest, env string }
	last := map[key]int{}
	for i, e := range entries {
		if !e.Record.FromVSA() {
			last[key{e.Record.Digest, e.Record.Environment}] = i
		}
	}
	var out []Entry
	for i, e := range entries {
		if j, ok := last[key{e.Record.Digest, e.Record.Environment}]; ok && j == i {
			out = append(out, e)
		}
	}
	return out
}

// Of is the record of d, decided by origin ("verify", "admission"). It
// copies what the policy saw and said, and nothing of the registry
// exchange: not the rejected attestations, whose reasons may quote a
// registry's answer.
func Of(d *gate.Decision, origin string) Record {
	return Record{
		Time: d.Time, Image: d.Image, Digest: d.Digest, Environment: d.Environment,
		PolicyVersion: d.PolicyVersion, Origin: origin,
		Input: d.Input, Allowed: d.Allowed, Gates: d.Gates,
	}
}
