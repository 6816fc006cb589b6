package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/release"
	"github.com/slack-go/slack"
)

// Defaults, and why.
const (
	// DefaultInterval is how often the registry is read: a vote shows in chat within a
	// minute, and a repository of ten digests costs a few dozen requests a minute.
	DefaultInterval = 30 * time.Second
	// postTimeout bounds one message: chat servers answer a webhook in well under a second.
	postTimeout = 10 * time.Second
)

// Post sends one message to an incoming webhook; slack.PostWebhookContext is the real one.
type Post func(ctx context.Context, url string, msg *slack.WebhookMessage) error

// Watcher remembers what it has announced about some repositories' release tables, and
// announces what changed since. It is not safe for concurrent use: one loop polls it.
type Watcher struct {
	client *oci.Client
	cfg    *config.Config
	repos  []string
	url    string
	opts   release.Options
	post   Post
	now    func() time.Time
	// seen is what was announced, by digest reference; nil until the first pass, which
	// announces nothing and sets the baseline.
	seen map[string]*snapshot
}

// New returns a Watcher of repos posting to url, building tables with opts.
func New(c *oci.Client, cfg *config.Config, repos []string, url string, opts release.Options, post Post) (*Watcher, error) {
	if len(repos) == 0 {
		return nil, fmt.Errorf("no repository to watch")
	}
	if url == "" {
		return nil, fmt.Errorf("no incoming-webhook URL: create one in the chat's integrations and pass it")
	}
	if post == nil {
		post = slack.PostWebhookContext
	}
	return &Watcher{client: c, cfg: cfg, repos: repos, url: url, opts: opts, post: post, now: time.Now}, nil
}

// Poll reads every watched repository once and posts one message per digest on which
// something landed or flipped, returning how many it posted. The first Poll posts nothing.
// A message that could not be posted is tried again on the next Poll.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	baseline := w.seen == nil
	if baseline {
		w.seen = map[string]*snapshot{}
	}
	posted := 0
	for _, repo := range w.repos {
		t, err := release.Build(ctx, w.client, w.cfg, repo, w.now(), w.opts)
		if err != nil {
			return posted, fmt.Errorf("reading the release table of %s: %w", repo, err)
		}
		for _, row := range t.Rows {
			now := snapshotOf(row)
			prev, known := w.seen[row.Reference]
			if baseline || known && !now.differs(prev) {
				w.seen[row.Reference] = now
				continue
			}
			msg := message(t.Repository, row, prev, now)
			pctx, cancel := context.WithTimeout(ctx, postTimeout)
			err := w.post(pctx, w.url, msg)
			cancel()
			if err != nil {
				return posted, fmt.Errorf("posting to the incoming webhook: %w", err)
			}
			w.seen[row.Reference] = now
			posted++
		}
	}
	return posted, nil
}

// Run polls every interval until ctx is done, reporting each pass's error to report and
// carrying on: a registry that is down for a minute does not end the watch.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, report func(error)) error {
	if interval <= 0 {
		return fmt.Errorf("interval %s: must be positive", interval)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
