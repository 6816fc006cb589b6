package admission

import (
	"context"
	"fmt"

	"github.com/gatehq/gate/pkg/admit"
)

// BreakGlassRecord is the audit record of a workload admitted although denied: who, what, why.
type BreakGlassRecord struct {
	// Who: the user the API server authenticated, and their groups.
	User   string
	Groups []string
	// What: the object and its denied images, with why each was denied.
	Namespace, Kind, Name, Operation string
	Images                           []string
	Denials                          []string
	// Why: the break-glass annotation's value.
	Reason string
}

// Message is the record in one paragraph, as an Event shows it.
func (r BreakGlassRecord) Message() string {
	return fmt.Sprintf("break-glass by %s: %s %s %s/%s admitted with images %v although not blessed (%s); reason given: %q",
		r.User, r.Operation, r.Kind, r.Namespace, r.Name, r.Images, denialMessage(r.Denials), r.Reason)
}

// breakGlass logs and records the admission of a denied workload. The log line is written
// whatever happens; an Event that cannot be written refuses the break-glass, since it must
// leave its record in the cluster. A dry run records nothing (sideEffects: NoneOnDryRun).
func (g *Guard) breakGlass(ctx context.Context, in *request, denied []admit.Result, denials []string, reason string) error {
	rec := BreakGlassRecord{
		User: in.req.UserInfo.Username, Groups: in.req.UserInfo.Groups,
		Namespace: in.req.Namespace, Kind: in.req.Kind.Kind, Name: in.w.Name, Operation: string(in.req.Operation),
		Denials: denials, Reason: reason,
	}
	for _, r := range denied {
		rec.Images = append(rec.Images, r.Image)
	}
	dryRun := in.req.DryRun != nil && *in.req.DryRun
	var err error
	if !dryRun {
		err = g.cluster.RecordBreakGlass(ctx, rec)
	}
	g.log.Warn("break-glass: admitting a workload that is not blessed",
		"user", rec.User, "groups", rec.Groups, "operation", rec.Operation, "kind", rec.Kind,
		"namespace", rec.Namespace, "name", rec.Name, "images", rec.Images, "denials", rec.Denials,
		"reason", rec.Reason, "dryRun", dryRun, "eventError", err)
	if err != nil {
		return fmt.Errorf("recording the break-glass event: %w", err)
	}
	return nil
}
