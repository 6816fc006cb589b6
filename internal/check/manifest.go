// Package check decides Kubernetes manifests offline as gate's admission webhook would, for `gate check`.
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxManifestSize bounds one manifest file: rendered charts run to megabytes,
// not gigabytes.
const maxManifestSize = 64 << 20

// Object is one Kubernetes object of a manifest, with where it was written.
type Object struct {
	File       string
	Line       int // of the object's first line
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Labels     map[string]string
	JSON       []byte // the object, as the API server would send it
	node       *yaml.Node
}

// LineOf is the line of the field at JSON Pointer ptr within o, or o's own
// line when the pointer leads nowhere.
func (o *Object) LineOf(ptr string) int {
	n := o.node
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if seg == "" {
			continue
		}
		next := child(n, strings.NewReplacer("~1", "/", "~0", "~").Replace(seg))
		if next == nil {
			return n.Line
		}
		n = next
	}
	return n.Line
}

func child(n *yaml.Node, seg string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// ReadPath reads the objects of a manifest file, of every .yaml, .yml and
// .json file under a directory, or of standard input ("-").
func ReadPath(path string, stdin io.Reader) ([]Object, error) {
	if path == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, maxManifestSize+1))
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return Read("-", b)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return readFile(path)
	}
	var objs []Object
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if e.Type().IsRegular() {
				o, err := readFile(p)
				objs = append(objs, o...)
				return err
			}
		}
		return nil
	})
	return objs, err
}

func readFile(path string) ([]Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Read(path, b)
}

// Read reads every object of a multi-document YAML (or JSON) manifest, as
// kubectl, helm template and kustomize build write them; List kinds give
// their items.
func Read(file string, b []byte) ([]Object, error) {
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxManifestSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var objs []Object
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue // an empty document, between two ---
		}
		var err error
		if objs, err = appendObjects(objs, file, doc.Content[0]); err != nil {
			return nil, err
		}
	}
}

func appendObjects(objs []Object, file string, n *yaml.Node) ([]Object, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a document that is not a Kubernetes object", file, n.Line)
	}
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string            `yaml:"name"`
			Namespace string            `yaml:"namespace"`
			Labels    map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
	}
	if err := n.Decode(&head); err != nil {
		return nil, fmt.Errorf("%s:%d: %s", file, n.Line, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("%s:%d: an object without kind", file, n.Line)
	}
	if items := child(n, "items"); strings.HasSuffix(head.Kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		for _, item := range items.Content {
			var err error
			if objs, err = appendObjects(objs, file, item); err != nil {
				return nil, err
			}
		}
		return objs, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s:%d: %s", file, n.Line, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %s %s is not JSON: %w", file, n.Line, head.Kind, head.Metadata.Name, err)
	}
	return append(objs, Object{
		File: file, Line: n.Line, APIVersion: head.APIVersion, Kind: head.Kind,
		Name: head.Metadata.Name, Namespace: head.Metadata.Namespace, Labels: head.Metadata.Labels,
		JSON: raw, node: n,
	}), nil
}
