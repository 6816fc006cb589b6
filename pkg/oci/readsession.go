package oci

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxReadSessions bounds the sessions a client keeps: a webhook reads the
// repositories of every Pod it is asked about, and whoever creates Pods
// names them; past the bound, the sessions are dropped and made again as
// needed (a ping each), so memory stays bounded.
const maxReadSessions = 1024

// readSessions keeps one pull session per repository, as remote.Puller
// keeps its fetchers: the ping and token exchange happen once per process
// and repository, not once per read.
type readSessions struct {
	mu sync.Mutex
	m  map[string]*pendingSession
}

// pendingSession is a session being made, or made; done closes when it is.
type pendingSession struct {
	done chan struct{}
	s    *session
	err  error
}

// readSession returns the client's pull session for repo, making it once.
// A failure is not kept: the next read tries again.
func (c *Client) readSession(ctx context.Context, repo name.Repository) (*session, error) {
	key := repo.String()
	c.reads.mu.Lock()
	p, ok := c.reads.m[key]
	if !ok {
		if c.reads.m == nil || len(c.reads.m) >= maxReadSessions {
			c.reads.m = map[string]*pendingSession{}
		}
		p = &pendingSession{done: make(chan struct{})}
		c.reads.m[key] = p
		c.reads.mu.Unlock()
		p.s, p.err = c.session(ctx, repo, false)
		if p.err != nil {
			c.reads.mu.Lock()
			delete(c.reads.m, key)
			c.reads.mu.Unlock()
		}
		close(p.done)
	} else {
		c.reads.mu.Unlock()
	}
	select {
	case <-p.done:
		return p.s, p.err
	case <-ctx.Done():
		return nil, classify(ctx.Err())
	}
}

// manifestAccept is what a referrer manifest read accepts: what
// go-containerregistry's remote.Get accepts, so that no registry serves
// gate less than it serves crane.
var manifestAccept = strings.Join([]string{
	string(types.OCIManifestSchema1), string(types.DockerManifestSchema2),
	string(types.OCIImageIndex), string(types.DockerManifestList),
}, ",")

// readManifest reads the manifest d names in repo, which its listing
// declares to be size bytes (at most maxManifestSize), and checks it against
// d. It reads at most size+1 bytes: the read budget is charged the listed
// size, so a listing that understates a manifest (a fallback index is
// anyone's push) must not make gate read more than it was charged; a
// manifest of another size is unusable. Unlike remote.Get, it does not parse what
// it reads: a referrer manifest carrying its bundle is large, and the
// caller parses it once, into only the fields it reads.
func (c *Client) readManifest(ctx context.Context, repo name.Repository, d v1.Hash, size int64) ([]byte, error) {
	doing := fmt.Sprintf("fetching attestation manifest %s", d)
	s, err := c.readSession(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err) // the registry's fault: no read of it can be made
	}
	resp, err := s.do(ctx, http.MethodGet, s.url("manifests/"+d.String(), nil), nil, http.Header{"Accept": {manifestAccept}})
	if err != nil {
		return nil, fetchError(doing, err)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, fetchError(doing, err)
	}
	size = min(max(size, 0), maxManifestSize)
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, size+1)); err != nil {
		return nil, fetchError(doing, err)
	}
	raw := buf.Bytes()
	if int64(len(raw)) != size {
		return nil, unusable("attestation manifest %s is not the %d bytes its listing declares", d, size)
	}
	if h, _, err := v1.SHA256(bytes.NewReader(raw)); err != nil || h != d {
		return nil, unusable("the registry served, for attestation manifest %s, a manifest of digest %s", d, h)
	}
	return raw, nil
}
