package readiness

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/release"
)

// Defaults and bounds of a page, each with its reason.
const (
	// DefaultRefresh is how often the page reloads itself: votes land
	// during the meeting, and half a minute is as long as anyone waits.
	DefaultRefresh = 30 * time.Second
	// minRefresh bounds how often a page may ask: every reload reads the
	// registry (through the cache below).
	minRefresh = 5 * time.Second
	// DefaultTimeout bounds reading the registry for one page, below the
	// refresh so that one slow read does not stack up behind the next.
	DefaultTimeout = 25 * time.Second
	// cacheFor is how long tables read for one viewer are shown to the
	// others: a meeting of twenty people reloading every 30 s must not read
	// the registry twenty times over.
	cacheFor = minRefresh
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"when":  when,
	"short": short,
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}).Parse(pageHTML))

// Options say what a page shows.
type Options struct {
	// Repositories to show, each as gate status takes it (REPO, REPO:TAG, REPO@DIGEST).
	Repositories []string
	// Environments, as gate status takes them; none means every one of the config.
	Environments []string
	Last         int           // digests per repository; 0 means release.DefaultLast
	Refresh      time.Duration // 0 means DefaultRefresh
	Timeout      time.Duration // 0 means DefaultTimeout
}

// Page is the release-readiness page, an http.Handler. It only reads.
type Page struct {
	client *oci.Client
	cfg    *config.Config
	opts   Options
	now    func() time.Time

	mu     sync.Mutex
	cached []byte
	status int
	at     time.Time
}

// New returns the page for c, cfg and opts, refusing options that cannot work.
func New(c *oci.Client, cfg *config.Config, opts Options) (*Page, error) {
	if len(opts.Repositories) == 0 {
		return nil, fmt.Errorf("no repository to show: name at least one")
	}
	opts.Refresh = cmp.Or(opts.Refresh, DefaultRefresh)
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	if opts.Refresh < minRefresh {
		return nil, fmt.Errorf("refresh %s is more often than every %s: every reload reads the registry", opts.Refresh, minRefresh)
	}
	return &Page{client: c, cfg: cfg, opts: opts, now: time.Now}, nil
}

// view is what the template renders.
type view struct {
	Refresh int // seconds
	Now     time.Time
	Tables  []tableView
}

type tableView struct {
	Ref   string
	Table *release.Table
	Err   string
}

func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the readiness page only reads: use GET", http.StatusMethodNotAllowed)
		return
	}
	body, status := p.render(r.Context())
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No script may run, whatever a string from the registry holds: the page has none.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// render returns the page and its status: 200, or 502 when a repository
// could not be read (the page then says so in place of its table).
func (p *Page) render(ctx context.Context) ([]byte, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.cached != nil && now.Sub(p.at) < cacheFor {
		return p.cached, p.status
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	v := view{Refresh: int(p.opts.Refresh / time.Second), Now: now.UTC()}
	status := http.StatusOK
	for _, ref := range p.opts.Repositories {
		t, err := release.Build(ctx, p.client, p.cfg, ref, now, release.Options{Environments: p.opts.Environments, Last: p.opts.Last})
		tv := tableView{Ref: ref, Table: t}
		if err != nil {
			tv.Err = err.Error()
			status = http.StatusBadGateway
		}
		v.Tables = append(v.Tables, tv)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return []byte("gate: rendering the readiness page: " + template.HTMLEscapeString(err.Error())), http.StatusInternalServerError
	}
	if status == http.StatusOK {
		p.cached, p.status, p.at = b.Bytes(), status, now
	}
	return b.Bytes(), status
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// short is a digest as people say it: algorithm and 12 hex digits.
func short(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}
