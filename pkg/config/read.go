package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// Read reads the trust config at path and decodes it, refusing a file
// larger than MaxFileSize (by its size, before reading it), a field gate
// does not know, and a second YAML document. It reads no key and compiles no
// policy: Load does, after Read.
func Read(path string) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading trust config: %w", err)
	}
	defer f.Close()
	tooLarge := &Error{File: path, Err: fmt.Errorf("larger than %d bytes: a trust config is a page of YAML; is this the right file?", MaxFileSize)}
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > MaxFileSize {
		return nil, tooLarge
	}
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading trust config %s: %w", path, err)
	}
	if len(raw) > MaxFileSize {
		return nil, tooLarge
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
	data = e.Data
	if data != "" {
		data = l.rel(data)
	}
	return l.rel(e.Policy), data, nil
}

func (s *Source) loader() *loader {
	return &loader{path: s.Path, dir: filepath.Dir(s.Path), doc: s.doc}
}
