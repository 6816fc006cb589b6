package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Client talks to registries on behalf of one caller.
type Client struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	nameOpts  []name.Option
	// puller and pusher keep each registry's transport, its ping and its
	// token, across calls: without them every call pings the registry anew.
	puller *remote.Puller
	pusher *remote.Pusher
	// reads keeps the sessions that read referrer manifests unparsed.
	reads readSessions
}

// Option configures a Client.
type Option func(*Client)

// WithKeychain sets where registry credentials come from. The default is the
// Docker config file and its credential helpers, as crane and cosign find them.
func WithKeychain(k authn.Keychain) Option { return func(c *Client) { c.keychain = k } }

// WithTransport sets the HTTP transport, for timeouts, proxies or counting requests.
func WithTransport(t http.RoundTripper) Option { return func(c *Client) { c.transport = t } }

// WithInsecure allows plain HTTP to registries that are not on loopback
// (loopback registries are always reached over plain HTTP, as crane does).
func WithInsecure() Option {
	return func(c *Client) { c.nameOpts = append(c.nameOpts, name.Insecure) }
}

// NewClient returns a Client with the given options.
func NewClient(opts ...Option) *Client {
	c := &Client{keychain: authn.DefaultKeychain, transport: remote.DefaultTransport}
	for _, o := range opts {
		o(c)
	}
	ropts := []remote.Option{remote.WithAuthFromKeychain(c.keychain), remote.WithTransport(c.transport)}
	var err error
	// Neither can fail: the options above only set fields.
	if c.puller, err = remote.NewPuller(ropts...); err != nil {
		panic(err)
	}
	if c.pusher, err = remote.NewPusher(ropts...); err != nil {
		panic(err)
	}
	return c
}

// remote returns the options of a read; push, those of a write.
func (c *Client) remote(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(c.puller)}
}

func (c *Client) push(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(c.pusher)}
}

// ParseReference parses an image reference as the client's options allow;
// a Helm chart's oci://REGISTRY/REPOSITORY:VERSION names its manifest as
// the reference without the scheme would.
func (c *Client) ParseReference(ref string) (name.Reference, error) {
	r, err := name.ParseReference(trimChartScheme(ref), c.nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	return r, nil
}

// Resolve returns the digest ref names, asking the registry only when ref is a tag.
func (c *Client) Resolve(ctx context.Context, ref string) (name.Digest, error) {
	d, _, err := c.ResolveKind(ctx, ref)
	return d, err
}

// ResolveKind is Resolve that also returns the media type of the manifest
// the tag names, which the same request tells; for a digest, which needs no
// request, the media type is "" (unknown).
func (c *Client) ResolveKind(ctx context.Context, ref string) (name.Digest, types.MediaType, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return name.Digest{}, "", err
	}
	if d, ok := r.(name.Digest); ok {
		return d, "", nil
	}
	desc, err := remote.Head(r, c.remote(ctx)...)
	if err != nil {
		return name.Digest{}, "", fmt.Errorf("resolving %s: %w", ref, classify(err))
	}
	return r.Context().Digest(desc.Digest.String()), desc.MediaType, nil
}

// Errors callers branch on. Each wraps the underlying error, whose message
// says the particulars; a registry fault is never mistaken for "no attestations".
var (
	// ErrUnauthorized means the registry refused the credentials, or asked for some.
	ErrUnauthorized = errors.New("registry authentication failed (check the credentials in the Docker config file or its credential helper)")
	// ErrNotFound means the registry has no such manifest or blob.
	ErrNotFound = errors.New("not found in registry")
	// ErrUnreachable means no connection to the registry could be made or kept.
	ErrUnreachable = errors.New("registry could not be reached")
	// ErrTimeout means the registry did not answer before the caller's deadline.
	ErrTimeout = errors.New("registry did not answer in time")
)

// classify marks registry errors with the sentinel a caller can branch on, so
// that an authentication failure or an unreachable registry is never
// mistaken for "no attestations". It is idempotent.
func classify(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrUnauthorized, ErrNotFound, ErrUnreachable, ErrTimeout} {
		if errors.Is(err, s) {
			return err
		}
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w: %w", ErrUnauthorized, err)
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return err
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
