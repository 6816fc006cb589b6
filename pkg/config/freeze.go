package config

import (
	"fmt"
	"strings"

	"github.com/gatehq/gate/attestations"
)

// FreezeSpec is where freezes are kept and who may sign them, as written.
type FreezeSpec struct {
	// Repository holds the freeze statements, e.g. reg.example/gate-freeze.
	Repository string `yaml:"repository"`
	// Roles may freeze and unfreeze an environment (e.g. [sre]).
	Roles []string `yaml:"roles"`
}

// Freeze is where freezes are kept and who may sign them, checked.
type Freeze struct {
	Repository string
	Roles      []string
}

// freeze checks spec and lets its roles sign the freeze predicate type: the
// trust config names who may freeze here, not in each role's maySign.
func (l *loader) freeze(spec *FreezeSpec, roles map[string]Role, allowed map[string][]string) (*Freeze, error) {
	if spec == nil {
		return nil, nil
	}
	if strings.TrimSpace(spec.Repository) == "" {
		return nil, l.fail("freeze.repository", "missing: the repository freeze statements are stored in (e.g. reg.example/gate-freeze)")
	}
	if len(spec.Roles) == 0 {
		return nil, l.fail("freeze.roles", "no roles: nobody could freeze or unfreeze")
	}
	for i, r := range spec.Roles {
		if _, ok := roles[r]; !ok {
			return nil, l.fail(fmt.Sprintf("freeze.roles[%d]", i), "%q is not one of the roles", r)
		}
		allowed[r] = append(allowed[r], attestations.FreezeType)
	}
	return &Freeze{Repository: spec.Repository, Roles: spec.Roles}, nil
}
