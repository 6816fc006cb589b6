package browser

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gatehq/gate/internal/demo"
	"github.com/google/go-containerregistry/pkg/registry"
)

// Bounds of the browser test, each generous for a loaded 2-core machine.
const (
	// pageTimeout bounds starting Chromium, loading the page and reading it.
	pageTimeout = 2 * time.Minute
	// minColours and minInk say what a screenshot of a table with coloured
	// verdicts has at least: a blank or all-white page has 1 colour, no ink.
	minColours = 16
	minInk     = 0.02 // the fraction of pixels that are not white
)

const xss = "<script>alert(1)</script>"

// TestReadinessPageInChromium serves the demo's story with gate serve (the
// real binary), opens the page in headless Chromium and reads what a person
// sees: a BLESSED row, a row missing qa's GO with the command that gives it,
// sre's NOGO with its reason, and a reason holding a script element shown as
// text, with no script on the page and no dialog opened. It saves a
// screenshot and checks it is not blank.
func TestReadinessPageInChromium(t *testing.T) {
	if os.Getenv("GATE_E2E") != "1" {
		t.Skip("browser test: run scripts/e2e-browser.sh (it installs Chromium and sets GATE_E2E=1)")
	}
	chromium := os.Getenv("GATE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	ctx, cancel := context.WithTimeout(context.Background(), pageTimeout)
	defer cancel()

	// The story, on a real in-process registry, and two releases of our own.
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	dir := t.TempDir()
	s, err := demo.Seed(ctx, strings.TrimPrefix(srv.URL, "http://"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(ctx, "1.3", "module-lead", "qa", "sre"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(ctx, "1.4-rc", "module-lead", "sre"); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, s.Failing, "qa", "NOGO", xss); err != nil {
		t.Fatal(err)
	}

	url := serve(t, ctx, dir, s.Config, s.Repository)

	var dialogs atomic.Int32
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1600, 1200))
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}))
	defer bcancel()
	// The page's Content-Security-Policy would stop a script anyway; turn
	// it off so that this test proves the escaping on its own.
	bypassCSP := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})
	start := time.Now()
	if err := chromedp.Do(bctx, bypassCSP, chromedp.Navigate(url), chromedp.WaitReady("table")); err != nil {
		t.Fatalf("loading %s in Chromium: %v", url, err)
	}
	t.Logf("Chromium started and loaded the page in %s", time.Since(start).Round(time.Millisecond))

	rows, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll("tr.row")].map(r => [r.querySelector(".tags").innerText.trim(), r.innerText]))`))
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`))
	if err != nil {
		t.Fatal(err)
	}
	blessed, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[...document.querySelectorAll("tr.row")].find(r => r.querySelector(".tags").innerText.trim() == "1.3").querySelector("td[data-env=demo]").innerText.trim()`))
	if err != nil {
		t.Fatal(err)
	}
	if blessed != "BLESSED" {
		t.Errorf("1.3 in demo reads %q, want BLESSED", blessed)
	}
	for _, c := range []struct {
		tag, desc string
		want      []string
	}{
		{"1.4-rc", "a row missing qa's GO, with the command that gives it", []string{"NOT BLESSED", "approval/qa", "qa: 0 of 1 GO approvals", "--key qa.key --role qa --decision go"}},
		{"1.2-waiting", "sre's NOGO with its reason", []string{"NOT BLESSED", "NOGO sre", "no runbook for the new payment queue"}},
		{"1.1-failing", "a script in a reason, shown as text", []string{"NOGO qa", xss}},
	} {
		text, ok := rows[c.tag]
		if !ok {
			t.Errorf("%s: no row tagged %s among %d rows", c.desc, c.tag, len(rows))
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: row %s does not read %q:\n%s", c.desc, c.tag, w, text)
			}
		}
	}
	if scripts != 0 || dialogs.Load() != 0 {
		t.Errorf("the page has %d script elements and opened %d dialogs: a string from the evidence ran", scripts, dialogs.Load())
	}

	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("GATE_SCREENSHOT")
	if out == "" {
		out = filepath.Join(os.TempDir(), "gate-readiness.png")
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	colours, ink := look(t, shot)
	t.Logf("screenshot %s: %d bytes, %d colours, %.1f%% not white", out, len(shot), colours, ink*100)
	if colours < minColours || ink < minInk {
		t.Errorf("screenshot %s looks blank: %d colours, %.2f%% not white", out, colours, ink*100)
	}
}

// serve starts `gate serve` (built from this tree) on a free loopback port
// and returns the page's URL, which it prints when it listens.
func serve(t *testing.T, ctx context.Context, dir, config, repo string) string {
	t.Helper()
	bin := filepath.Join(dir, "gate")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gate")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "serve", repo, "--config", config, "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "the readiness page is at "); ok {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return strings.Fields(rest)[0]
		}
		t.Logf("gate serve: %s", sc.Text())
	}
	t.Fatalf("gate serve ended without saying where it listens: %v", sc.Err())
	return ""
}

// look counts a PNG's distinct colours and the fraction of its pixels that
// are not white.
func look(t *testing.T, shot []byte) (colours int, ink float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	seen := map[[4]uint32]bool{}
	var dark, all int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			all++
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				dark++
			}
		}
	}
	return len(seen), float64(dark) / float64(all)
}
