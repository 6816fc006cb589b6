package bundle_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
)

// A bundle is pushed to a tag an environment can follow: a reference
// without one, or with a digest, is refused before anything is read or sent.
func TestPushWantsATag(t *testing.T) {
	kp, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"127.0.0.1:1/policy", "127.0.0.1:1/policy@sha256:0123456789012345678901234567890123456789012345678901234567890123"} {
		_, err := bundle.Push(context.Background(), oci.NewClient(), s, ref, "/nonexistent", "")
		if err == nil || !strings.Contains(err.Error(), "REG/REPO:TAG") {
			t.Errorf("%s: error %v, want one asking for REG/REPO:TAG", ref, err)
		}
	}
}
