package admission_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gatehq/gate/admission"
)

func TestRunRefusesToStartWithoutItsOwnNamespace(t *testing.T) {
	err := admission.Run(context.Background(), admission.Options{TrustConfig: "gate.yaml", Log: discard()})
	if !errors.Is(err, admission.ErrNoOwnNamespace) {
		t.Fatalf("Run without a namespace: %v, want ErrNoOwnNamespace", err)
	}
	for _, s := range []string{"--namespace", "$POD_NAMESPACE"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say to use %s", err, s)
		}
	}
}
