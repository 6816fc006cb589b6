package readiness

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/internal/demo"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/registry"
)

// A frozen environment is shown above its table, with who, since, until and the reason
// (escaped), and the digest blessed before the freeze is marked as a rollback target.
func TestPageShowsAFreeze(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	s, err := demo.Seed(ctx, host, dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Config, append(raw, "freeze: {repository: "+host+"/gate/freeze, roles: [sre]}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(ctx, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	sre, err := sign.LoadKey(filepath.Join(dir, "sre.key"), []byte(demo.KeyPassword))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	until := now.Add(24 * time.Hour)
	env := cfg.DefaultEnvironment
	if _, err := freeze.Set(ctx, oci.NewClient(), sre, cfg, freeze.Change{Environment: env, Frozen: true, Reason: "incident " + xss, Until: until}, now); err != nil {
		t.Fatal(err)
	}
	p, err := New(oci.NewClient(), cfg, Options{Repositories: []string{s.Repository, s.Blessed}}) // the blessed digest is no longer tagged
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return now.Add(2 * time.Second) }
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	html := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d:\n%s", rec.Code, html)
	}
	for _, want := range []string{
		env + " is FROZEN</strong> by sre", "since " + when(now), "until " + when(until),
		"incident &lt;script&gt;alert(1)&lt;/script&gt;", "rollback target: blessed before the freeze",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("the page holds a script element")
	}
	row := html[strings.Index(html, `data-digest="`+s.Blessed[strings.Index(s.Blessed, "@")+1:]+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "rollback target") {
		t.Errorf("the digest blessed before the freeze is not marked a rollback target:\n%s", row)
	}
}
