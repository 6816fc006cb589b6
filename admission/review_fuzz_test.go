package admission

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/admission/workload"
)

// FuzzDecodeReview feeds decodeReview what an attacker who reaches the webhook could send,
// starting from reviews as the API server writes them: it must never panic, and whatever it
// accepts must be a whole v1 review, which re-encodes to a review it accepts again.
func FuzzDecodeReview(f *testing.F) {
	seeds, err := filepath.Glob("testdata/reviews/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed reviews in testdata/reviews (%v)", err)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := decodeReview(b); err != nil {
			f.Fatalf("%s: a real review is refused: %v", path, err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		review, err := decodeReview(body)
		if err != nil {
			return
		}
		req := review.Request
		if review.APIVersion != reviewAPIVersion || review.Kind != reviewKind || req == nil || req.UID == "" || !operations[req.Operation] {
			t.Fatalf("accepted a review that is not whole: %s", body)
		}
		if workload.Checked(workload.Kind{Group: req.Kind.Group, Kind: req.Kind.Kind}) && req.Namespace == "" {
			t.Fatalf("accepted a %s without a namespace: %s", req.Kind.Kind, body)
		}
		again, err := json.Marshal(review)
		if err != nil {
			t.Fatalf("re-encoding an accepted review: %v", err)
		}
		if _, err := decodeReview(again); err != nil {
			t.Fatalf("an accepted review, re-encoded, is refused: %v", err)
		}
	})
}
