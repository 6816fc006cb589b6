package oci

import (
	"context"
	"fmt"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
)

// Tags lists every tag of repo, page by page, within the same bounds as the
// fallback scheme's listing (maxTagPages pages of tagPageSize tags). A
// repository with no tags yet has none; a registry fault is an error, never
// an empty list.
func (c *Client) Tags(ctx context.Context, repo name.Repository) ([]string, error) {
	s, err := c.session(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	u := s.url("tags/list", url.Values{"n": {fmt.Sprint(tagPageSize)}})
	var out []string
	for page := 0; page < maxTagPages; page++ {
		tags, next, err := s.tagPage(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
		}
		out = append(out, tags...)
		if next == nil {
			return out, nil
		}
		u = next
	}
	return nil, fmt.Errorf("listing tags of %s: more than %d pages", repo, maxTagPages)
}
