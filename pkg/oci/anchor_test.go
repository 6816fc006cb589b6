package oci

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestAnchorIsComputedAndStoredIdempotently(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/gate/freeze")
	if err != nil {
		t.Fatal(err)
	}
	anchor := func(env string) *Anchor {
		a, err := NewAnchor(repo, "application/x-test", map[string]string{"env": env, "z": "1"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	prod, again, staging := anchor("production"), anchor("production"), anchor("staging")
	if prod.Digest != again.Digest {
		t.Errorf("the same anchor has two digests: %s, %s", prod.Digest, again.Digest)
	}
	if prod.Digest == staging.Digest {
		t.Errorf("two environments share an anchor %s", prod.Digest)
	}
	c := NewClient()
	for range 2 {
		if err := c.PutAnchor(context.Background(), prod); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := remote.Head(prod.Digest)
	if err != nil || desc.Digest.String() != prod.Digest.DigestStr() {
		t.Fatalf("the registry holds %v (%v), want the computed %s", desc, err, prod.Digest.DigestStr())
	}
}
