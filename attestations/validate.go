package attestations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	trv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"google.golang.org/protobuf/encoding/protojson"
)

// ErrInvalidPredicate means a predicate body does not conform to its type.
var ErrInvalidPredicate = errors.New("predicate does not conform to its type")

// Validate checks predicate, the raw JSON body of a statement of
// predicateType, against that type's schema, and names the field at fault.
// Types gate does not know are not checked: the policy reads them as it
// chooses. The standard types are read with the in-toto attestation
// bindings, which refuse unknown fields and wrong JSON types, as strict
// readers of those types will; gate's own types are read as strictly.
func Validate(predicateType string, predicate []byte) error {
	if !known(predicateType) {
		return nil
	}
	_, err := Decode(predicateType, predicate)
	return err
}

// Decode is Validate that also returns the predicate as the JSON object the
// policy reads. The checks of field names read that object rather than
// parse the body again: a verify decodes each predicate once generically
// (and once more into its type's binding), not three or four times. A body
// that is not a JSON object is an error for every type; for a known type it
// wraps ErrInvalidPredicate.
func Decode(predicateType string, predicate []byte) (map[string]any, error) {
	var v map[string]any
	err := json.Unmarshal(predicate, &v)
	if err == nil && v == nil {
		err = errors.New("not a JSON object")
	}
	if err == nil {
		switch predicateType {
		case TestResultType:
			err = validateTestResult(predicate, v)
		case VulnsType:
			err = validateVulns(predicate, v)
		case CoverageType:
			err = validateCoverage(predicate, v)
		case ApprovalType:
			err = validateApproval(predicate, v)
		case VSAType:
			err = validateVSA(predicate)
		}
	}
	switch {
	case err == nil:
		return v, nil
	case known(predicateType):
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidPredicate, predicateType, err)
	default:
		return nil, err
	}
}

// known says whether Validate checks predicates of predicateType.
func known(predicateType string) bool {
	switch predicateType {
	case TestResultType, VulnsType, CoverageType, ApprovalType, VSAType:
		return true
	}
	return false
}

func validateTestResult(raw []byte, v map[string]any) error {
	var p trv0.TestResult
	if err := protojson.Unmarshal(raw, &p); err != nil {
		return err
	}
	if err := checkJSONNames(v, p.ProtoReflect().Descriptor(), ""); err != nil {
		return err
	}
	if !slices.Contains([]string{ResultPassed, ResultWarned, ResultFailed}, p.GetResult()) {
		return fmt.Errorf("field result: %q is not one of %s, %s, %s", p.GetResult(), ResultPassed, ResultWarned, ResultFailed)
	}
	return nil
}

func validateVulns(raw []byte, v map[string]any) error {
	var p vulnsv02.Vulns
	if err := protojson.Unmarshal(raw, &p); err != nil {
		return err
	}
	if err := checkJSONNames(v, p.ProtoReflect().Descriptor(), ""); err != nil {
		return err
	}
	if p.GetScanner().GetUri() == "" {
		return errors.New("field scanner.uri: missing")
	}
	for i, r := range p.GetScanner().GetResult() {
		if r.GetId() == "" {
			return fmt.Errorf("field scanner.result[%d].id: missing", i)
		}
	}
	return nil
}

// strictFields decodes raw, whose JSON object is obj, into v, refusing any
// key that is not exactly one of v's JSON field names: encoding/json alone
// matches keys without regard to case, so {"DECISION":"GO"} would read as a
// decision the policy, which reads keys exactly, never sees.
func strictFields(raw []byte, obj map[string]any, v any, fields ...string) error {
	if err := knownKeys(obj, fields...); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// knownKeys refuses a key of obj that is not exactly one of fields.
func knownKeys(obj map[string]any, fields ...string) error {
	for k := range obj {
		if !slices.Contains(fields, k) {
			return fmt.Errorf("field %s: unknown", k)
		}
	}
	return nil
}

func validateCoverage(raw []byte, obj map[string]any) error {
	var c Coverage
	if err := strictFields(raw, obj, &c, "format", "unit", "covered", "total", "percent", "files", "branchesCovered", "branchesTotal", "attestedAt", "commit"); err != nil {
		return err
	}
	switch {
	case c.Format == "":
		return errors.New("field format: missing")
	case c.Unit == "":
		return errors.New("field unit: missing")
	case c.Total < 0 || c.Covered < 0 || c.Covered > c.Total:
		return fmt.Errorf("field covered: %d of %d is not a count within the total", c.Covered, c.Total)
	case c.Percent < 0 || c.Percent > 100:
		return fmt.Errorf("field percent: %v is not between 0 and 100", c.Percent)
	case c.BranchesCovered < 0 || c.BranchesCovered > c.BranchesTotal:
		return fmt.Errorf("field branchesCovered: %d of %d is not a count within the total", c.BranchesCovered, c.BranchesTotal)
	}
	return nil
}

func validateApproval(raw []byte, obj map[string]any) error {
	var a Approval
	if err := strictFields(raw, obj, &a, "decision", "role", "reason", "approvedAt", "expiresAt", "reviewed", "waivers", "checklist"); err != nil {
		return err
	}
	// The typed decode above refused a checklist that is not an array of
	// objects (or nulls, which hold no key).
	items, _ := obj["checklist"].([]any)
	for i, c := range a.Checklist {
		item, _ := items[i].(map[string]any)
		if err := knownKeys(item, "item", "link"); err != nil {
			return fmt.Errorf("field checklist[%d]: %w", i, err)
		}
		if err := c.Check(); err != nil {
			return fmt.Errorf("field checklist[%d]: %w", i, err)
		}
	}
	switch {
	case a.Decision != DecisionGo && a.Decision != DecisionNoGo:
		return fmt.Errorf("field decision: %q is not %s or %s", a.Decision, DecisionGo, DecisionNoGo)
	case a.Role == "":
		return errors.New("field role: missing")
	case a.ApprovedAt.IsZero():
		return errors.New("field approvedAt: missing")
	}
	return nil
}
