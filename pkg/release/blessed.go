package release

import (
	"errors"
	"fmt"
)

// ErrNoneBlessed means the table has no blessed digest where one was asked
// for: an answer ("no"), not a failure to read the registry.
var ErrNoneBlessed = errors.New("no blessed digest")

// Blessed returns the rows of t blessed in env, newest first: the digests an
// environment can be rolled back to.
func Blessed(t *Table, env string) []Row {
	var out []Row
	for _, r := range t.Rows {
		if v, ok := r.Verdict(env); ok && v.Blessed {
			out = append(out, r)
		}
	}
	return out
}

// Before returns the newest row blessed in env that is older than digest,
// which must be a row of t. ErrNoneBlessed when there is none.
func Before(t *Table, env, digest string) (Row, error) {
	for i, r := range t.Rows {
		if r.Digest != digest {
			continue
		}
		if r.Built.IsZero() {
			return Row{}, fmt.Errorf("%s has no verified provenance, so nothing is known to be older: name a digest built by your pipeline", r.Reference)
		}
		if older := Blessed(&Table{Rows: t.Rows[i+1:]}, env); len(older) > 0 {
			return older[0], nil
		}
		return Row{}, fmt.Errorf("%w in %s before %s in %s", ErrNoneBlessed, env, r.Reference, t.Repository)
	}
	return Row{}, fmt.Errorf("%s is not in the table of %s: give a digest of that repository", digest, t.Repository)
}

// Verdict returns r's verdict in env.
func (r Row) Verdict(env string) (Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.Environment == env {
			return v, true
		}
	}
	return Verdict{}, false
}
