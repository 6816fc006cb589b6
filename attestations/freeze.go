package attestations

import "time"

// FreezeType is gate's freeze predicate: whether an environment takes new
// digests. No standard predicate says "stop rollouts", so gate has its own.
const FreezeType = "https://gatehq.dev/attestation/freeze/v0.1"

// Freeze is the predicate of FreezeType: one signed statement of an
// environment's freeze state. Who froze is not a field: it is whoever the
// signature verifies as. The newest statement (by Since) is the state.
type Freeze struct {
	Environment string `json:"environment"`
	// Frozen is true for `gate freeze`, false for `gate unfreeze`.
	Frozen bool   `json:"frozen"`
	Reason string `json:"reason"`
	// Since is when this statement was signed, and when its state began.
	Since time.Time `json:"since"`
	// Until ends a freeze by itself; zero means until an unfreeze.
	Until time.Time `json:"until,omitzero"`
}
