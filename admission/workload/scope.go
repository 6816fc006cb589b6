package workload

import "slices"

// AlwaysExempt are namespaces never guarded, whatever the configuration says: the cluster's
// own components must start even when no image of theirs carries gate's evidence.
var AlwaysExempt = []string{"kube-system"}

// Scope is what the webhook applies in one namespace.
type Scope struct {
	// Guarded is false where the webhook admits everything (ScopeOf says; Applying leaves it
	// to the caller, who knows the namespace's labels as the API server matched them).
	Guarded bool
	// Environment is "" for the trust config's default.
	Environment string
	Mode        Mode
	// BreakGlass says an annotated workload is admitted although denied.
	BreakGlass bool
}

// ScopeOf says what the webhook applies in namespace ns, whose labels are labels:
// kube-system is never guarded, and a namespace opts in with NamespaceLabel=true.
func (c *Config) ScopeOf(ns string, labels map[string]string) Scope {
	if slices.Contains(AlwaysExempt, ns) || labels[c.NamespaceLabel] != "true" {
		return Scope{}
	}
	s := c.Applying(ns, labels)
	s.Guarded = true
	return s
}

// Applying says what applies in namespace ns with labels, once it is guarded.
func (c *Config) Applying(ns string, labels map[string]string) Scope {
	s := Scope{Environment: c.DefaultEnvironment, Mode: c.Mode, BreakGlass: slices.Contains(c.BreakGlass.Namespaces, ns)}
	if env := labels[c.EnvironmentLabel]; env != "" {
		s.Environment = env
	}
	if n, ok := c.Namespaces[ns]; ok {
		if n.Environment != "" {
			s.Environment = n.Environment
		}
		if n.Mode != "" {
			s.Mode = n.Mode
		}
	}
	return s
}
