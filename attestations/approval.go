package attestations

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

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
	// Checklist is what the stakeholder ticked before deciding, each with a
	// link to where it can be seen done; the policy's data names the items
	// a role's GO must carry.
	Checklist []CheckItem `json:"checklist,omitempty"`
}

// CheckItem is one ticked checklist item and the link that shows it done.
type CheckItem struct {
	Item string `json:"item"`
	Link string `json:"link"`
}

// checkItemName is what a checklist item may be called: the names the
// policy data lists, so a lookup by name never depends on spelling or case.
var checkItemName = regexp.MustCompile(`^[a-z0-9-]+$`)

// Check says what is wrong with c: a name outside [a-z0-9-]+, or a link
// that is not an https URL with a host (a link a reviewer cannot open, or
// one over plain http, shows nothing).
func (c CheckItem) Check() error {
	if !checkItemName.MatchString(c.Item) {
		return fmt.Errorf("checklist item %q: a name is lower-case letters, digits and dashes", c.Item)
	}
	u, err := url.Parse(c.Link)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("checklist item %s: link %q is not an https URL", c.Item, c.Link)
	}
	return nil
}
