package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Source is a trust config as written, read and checked by Read: every
// command that reads gate.yaml reads it through Read, so that a misspelled
// key fails them all alike.
type Source struct {
	Path string
	File File
	doc  *yaml.Node // for the line of a field
}

// Limits on the files a trust config names, which are read whole.
const (
	// MaxKeySize bounds a public key file: a PEM key is under 1 KiB.
	MaxKeySize = 64 << 10
	// MaxTrustedRootSize bounds a Sigstore trusted root file: the public
	// good instance's, with every log and authority it ever had, is tens of KiB.
	MaxTrustedRootSize = 1 << 20
)

// readFile reads the file at path, refusing one larger than limit bytes by
// its size before reading it, and reading anything else (a pipe, a device
// such as /dev/zero) to at most one byte more.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := fmt.Errorf("larger than %d bytes: is this the right file?", limit)
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > limit {
		return nil, tooLarge
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// Read reads the trust config at path and decodes it, refusing a file
// larger than MaxFileSize (by its size, before reading it), a field gate
// does not know, and a second YAML document. It reads no key and compiles no
// policy: Load does, after Read.
func Read(path string) (*Source, error) {
	raw, err := readFile(path, MaxFileSize)
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &pathErr): // it names the file
		return nil, fmt.Errorf("reading trust config: %w", err)
	case err != nil:
		return nil, &Error{File: path, Err: err}
	}
	return decode(path, raw)
}

// decode is Read of raw, the content of the file at path.
func decode(path string, raw []byte) (*Source, error) {
	s := &Source{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&s.File); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: path, Line: next.Line, Err: errors.New("a second YAML document: gate reads one; merge them or remove the ---")}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	s.doc = &doc
	return s, nil
}

// Policy is the policy directory and the data file the config names for
// environment env, each relative to the config file as written there; data
// is "" when it names none. Its signature is policy.Layout's.
func (s *Source) Policy(env string) (dir, data string, err error) {
	l := s.loader()
	e, ok := s.File.Environments[env]
	switch {
	case !ok:
		return "", "", l.fail("environments", "no environment %q (have %s)", env, strings.Join(sortedKeys(s.File.Environments), ", "))
	case e.Policy == "":
		return "", "", l.fail("environments."+env+".policy", "missing: the directory of the policy's .rego files")
	}
	if _, ok := IsBundle(e.Policy); ok {
		return "", "", l.fail("environments."+env+".policy", "%s is a policy bundle, not a directory: give the bundle's reference where an oci:// reference is accepted (gate policy diff OLD NEW)", e.Policy)
	}
	data = e.Data
	if data != "" {
		data = l.rel(data)
	}
	return l.rel(e.Policy), data, nil
}

func (s *Source) loader() *loader {
	return &loader{path: s.Path, dir: filepath.Dir(s.Path), doc: s.doc}
}
