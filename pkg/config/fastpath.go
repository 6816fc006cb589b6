package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/gatehq/gate/attestations"
)

// MaxFastPathAge bounds fastPath.maxAge. A VSA stands for a decision made
// when it was signed, and the policy reads the clock (an approval expires, a
// scan grows stale): an image stays admitted through a VSA at most this long
// after the evidence it summarized stopped blessing it.
const MaxFastPathAge = 24 * time.Hour

// FastPathSpec lets the webhook take a fresh VSA for a verification, as written.
type FastPathSpec struct {
	// Roles are the roles whose VSAs are taken (e.g. [verifier]); each must
	// be allowed to sign VSAs (vsa in its maySign).
	Roles []string `yaml:"roles"`
	// MaxAge is how old a VSA may be (e.g. 1h), at most MaxFastPathAge.
	MaxAge string `yaml:"maxAge"`
}

// FastPath is an environment's fast path, checked: a PASSED VSA signed by
// one of Roles for the environment's current policy, younger than MaxAge,
// stands for verifying the image again.
type FastPath struct {
	Roles  []string
	MaxAge time.Duration
}

// fastPath checks the fast path of environment env; nil spec is no fast path.
func (l *loader) fastPath(env string, spec *FastPathSpec, roles map[string]Role, allowed map[string][]string) (*FastPath, error) {
	if spec == nil {
		return nil, nil
	}
	field := "environments." + env + ".fastPath"
	if len(spec.Roles) == 0 {
		return nil, l.fail(field+".roles", "no roles: name the roles whose VSAs the webhook may take (e.g. [verifier]), or remove fastPath")
	}
	for i, r := range spec.Roles {
		if _, ok := roles[r]; !ok {
			return nil, l.fail(fmt.Sprintf("%s.roles[%d]", field, i), "%q is not one of the roles: add it under roles with the verifier's key and maySign: [vsa]", r)
		}
		if !slices.Contains(allowed[r], attestations.VSAType) {
			return nil, l.fail(fmt.Sprintf("%s.roles[%d]", field, i), "role %q may not sign VSAs, so none of its VSAs would verify: add vsa to roles.%s.maySign", r, r)
		}
	}
	if spec.MaxAge == "" {
		return nil, l.fail(field+".maxAge", "missing: how old a VSA may be and still be taken (e.g. 1h)")
	}
	age, err := time.ParseDuration(spec.MaxAge)
	switch {
	case err != nil:
		return nil, l.fail(field+".maxAge", "%q is not a duration: write one such as 30m or 1h", spec.MaxAge)
	case age <= 0:
		return nil, l.fail(field+".maxAge", "%s: must be positive", spec.MaxAge)
	case age > MaxFastPathAge:
		return nil, l.fail(field+".maxAge", "%s is longer than %s: an image would stay admitted that long after its evidence stopped blessing it; write at most %s", spec.MaxAge, MaxFastPathAge, MaxFastPathAge)
	}
	return &FastPath{Roles: slices.Clone(spec.Roles), MaxAge: age}, nil
}
