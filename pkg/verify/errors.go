package verify

import (
	"errors"

	"github.com/gatehq/gate/attestations"
)

// Why an attestation is rejected. Each rejection wraps one of these, so a
// caller (or a test) can tell them apart; the message says the particulars.
var (
	// ErrMalformed: the bundle, envelope or statement does not parse.
	ErrMalformed = errors.New("malformed attestation")
	// ErrUntrustedSigner: no trusted key or identity verifies the signature.
	ErrUntrustedSigner = errors.New("not signed by any trusted key or identity")
	// ErrWrongSubject: the statement is about another artifact.
	ErrWrongSubject = errors.New("statement is about another digest")
	// ErrSubjects: the statement names several subjects, and its type may name only one.
	ErrSubjects = errors.New("statement names more than one subject")
	// ErrRoleNotAllowed: the signer's role may not sign this predicate type.
	ErrRoleNotAllowed = errors.New("signer's role may not sign this predicate type")
	// ErrRoleClaim: an approval claims a role its signer does not hold.
	ErrRoleClaim = errors.New("approval claims a role its signer does not hold")
	// ErrInvalidPredicate: the predicate body does not conform to its type's schema.
	ErrInvalidPredicate = attestations.ErrInvalidPredicate
)
