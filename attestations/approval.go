package attestations

import "time"

// Decisions a stakeholder may sign.
const (
	DecisionGo   = "GO"
	DecisionNoGo = "NOGO"
)

// Approval is gate's approval predicate: one stakeholder's decision on one digest.
// Who signed it is not a field: it is whoever the signature verifies as, and
// Role must be a role that signer holds.
type Approval struct {
	Decision   string    `json:"decision"`
	Role       string    `json:"role"`
	Reason     string    `json:"reason"`
	ApprovedAt time.Time `json:"approvedAt"`
	// ExpiresAt is when the decision stops counting; zero means the policy's maximum age alone applies.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Reviewed is the reference the stakeholder looked at when deciding.
	Reviewed string `json:"reviewed,omitempty"`
	// Waivers names vulnerabilities this approval accepts.
	Waivers []string `json:"waivers,omitempty"`
}
