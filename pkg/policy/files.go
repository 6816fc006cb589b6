package policy

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// Compile is Load of a policy held in memory rather than in a directory (a
// policy bundle read from a registry): files maps slash-separated names to
// their source, and only the *.rego files that are not *_test.rego are
// compiled. origin is how errors name the policy ("oci://reg/repo@sha256:…"),
// and becomes the policy's Version when it is not "": a bundle is
// identified by its digest, which covers its files and its data.
func Compile(ctx context.Context, origin string, files map[string][]byte, params map[string]any) (*Policy, error) {
	rego := map[string][]byte{}
	for name, src := range files {
		if strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego") {
			rego[strings.TrimPrefix(path.Clean("/"+name), "/")] = src
		}
	}
	if len(rego) == 0 {
		return nil, fmt.Errorf("loading policy: no .rego files in %s", origin)
	}
	p, err := compileFiles(ctx, func(name string) string { return origin + ":" + name }, rego, params)
	if err != nil {
		return nil, err
	}
	if origin != "" {
		p.version = origin
	}
	return p, nil
}

// ParseParams is LoadParams of b, the content of the file named name.
func ParseParams(name string, b []byte) (map[string]any, error) {
	return parseParams(name, b)
}
