// Package attestations defines the predicates gate signs and the in-toto statements that carry them.
package attestations
