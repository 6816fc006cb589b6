package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Limits on tag listing, which the fallback scheme reads on every write.
const (
	// tagPageSize is how many tags one listing request asks for.
	tagPageSize = 1000
	// maxTagPages bounds a listing (a million tags): a registry that keeps
	// sending "next" links forever must not keep gate attesting forever.
	maxTagPages = 1000
	// maxTagListSize bounds one page of a tag listing.
	maxTagListSize = 4 << 20
)

// session is an authenticated HTTP client for one repository, for the few
// requests go-containerregistry's remote package has no call for: the
// referrers probe, a manifest PUT that must not trigger remote's own
// (racy) fallback-tag update, and a tag listing that starts at a prefix.
type session struct {
	repo   name.Repository
	client *http.Client
}

func (c *Client) session(ctx context.Context, repo name.Repository, push bool) (*session, error) {
	auth, err := authn.Resolve(ctx, c.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s: %w", repo.RegistryStr(), err)
	}
	scope := repo.Scope(transport.PullScope)
	if push {
		scope = repo.Scope(transport.PushScope)
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, c.transport, []string{scope})
	if err != nil {
		return nil, fmt.Errorf("reaching %s: %w", repo.RegistryStr(), classify(err))
	}
	return &session{repo: repo, client: &http.Client{Transport: tr}}, nil
}

func (s *session) url(path string, q url.Values) *url.URL {
	u := &url.URL{Scheme: s.repo.Scheme(), Host: s.repo.RegistryStr(), Path: fmt.Sprintf("/v2/%s/%s", s.repo.RepositoryStr(), path)}
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u
}

func (s *session) do(ctx context.Context, method string, u *url.URL, body []byte, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	return resp, nil
}

// hasReferrersAPI asks the registry whether it keeps referrers lists itself.
func (s *session) hasReferrersAPI(ctx context.Context, subject name.Digest) (bool, error) {
	resp, err := s.do(ctx, http.MethodGet, s.url("referrers/"+subject.DigestStr(), nil), nil, http.Header{"Accept": {string(types.OCIImageIndex)}})
	if err != nil {
		return false, fmt.Errorf("asking %s for referrers of %s: %w", s.repo.RegistryStr(), subject.DigestStr(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxManifestSize))
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return false, classify(transport.CheckError(resp, http.StatusOK))
	}
	return resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == string(types.OCIImageIndex), nil
}

// putManifest stores raw under ref (a tag or its digest) and nothing else.
func (s *session) putManifest(ctx context.Context, ref string, mt types.MediaType, raw []byte) error {
	resp, err := s.do(ctx, http.MethodPut, s.url("manifests/"+ref, nil), raw, http.Header{"Content-Type": {string(mt)}})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return classify(transport.CheckError(resp, http.StatusOK, http.StatusCreated, http.StatusAccepted))
}

// tagsWithPrefix lists the repository's tags that begin with prefix. It
// asks the registry to start just before prefix (the spec's "last"
// parameter) and stops once the sorted listing has passed it; a registry
// that ignores "last" or does not sort is simply read to its end.
func (s *session) tagsWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	last := prefix[:len(prefix)-1] // sorts before every tag with prefix
	u := s.url("tags/list", url.Values{"n": {fmt.Sprint(tagPageSize)}, "last": {last}})
	var out []string
	prev, ordered := last, true // every tag so far sorted, and after "last"
	for page := 0; page < maxTagPages; page++ {
		tags, next, err := s.tagPage(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("listing tags of %s: %w", s.repo, err)
		}
		for _, t := range tags {
			if strings.HasPrefix(t, prefix) {
				out = append(out, t)
			}
			ordered = ordered && t > prev
			prev = t
		}
		if next == nil {
			return out, nil
		}
		if ordered && prev > prefix && !strings.HasPrefix(prev, prefix) {
			return out, nil // the registry honours "last" and sorts: we are past the prefix
		}
		u = next
	}
	return nil, fmt.Errorf("listing tags of %s: more than %d pages", s.repo, maxTagPages)
}

func (s *session) tagPage(ctx context.Context, u *url.URL) ([]string, *url.URL, error) {
	resp, err := s.do(ctx, http.MethodGet, u, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil, nil // a repository with no tags yet
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, nil, classify(err)
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTagListSize)).Decode(&body); err != nil {
		return nil, nil, err
	}
	next, err := nextPage(u, resp.Header.Get("Link"))
	return body.Tags, next, err
}

// nextPage reads a Link header's "next" URL, which must stay on the same
// registry: credentials are sent along, and must not go anywhere else.
func nextPage(cur *url.URL, link string) (*url.URL, error) {
	if link == "" {
		return nil, nil
	}
	start, end := strings.Index(link, "<"), strings.Index(link, ">")
	if start != 0 || end < 1 {
		return nil, fmt.Errorf("unreadable Link header %q", link)
	}
	next, err := cur.Parse(link[1:end])
	if err != nil {
		return nil, fmt.Errorf("unreadable Link header %q: %w", link, err)
	}
	if next.Scheme != cur.Scheme || next.Host != cur.Host {
		return nil, fmt.Errorf("Link header points to another registry: %s", next.Redacted())
	}
	return next, nil
}
