package chart

import (
	"slices"
	"strings"
	"testing"
)

// split keeps every document helm writes, whatever the templates write
// around them: a document lost here is an image never decided.
func TestSplitLosesNoDocument(t *testing.T) {
	pod := func(image string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: " + image + "}]}\n"
	}
	out := "---\n# Source: app/templates/a.yaml\n" + pod("reg.example/a:1") +
		"---\n# Source: app/templates/b.yaml\n" + pod("reg.example/b:1") +
		// A template's second document, after another template's.
		"---\n# Source: app/templates/a.yaml\n" + pod("reg.example/a:2") +
		// A document helm wrote with no source line of its own.
		"---\n" + pod("reg.example/c:1") +
		// A comment in a template that reads like helm's.
		"---\n# Source: app/templates/d.yaml\n# Source: not/a/file.yaml\n" + pod("reg.example/d:1")
	uses, err := Images(split("apiVersion: v1\nkind: Pod\nmetadata: {name: first}\nspec: {containers: [{name: c, image: reg.example/first:1}]}\n" + out))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		got = append(got, u.Image)
	}
	slices.Sort(got)
	want := "reg.example/a:1 reg.example/a:2 reg.example/b:1 reg.example/c:1 reg.example/d:1 reg.example/first:1"
	if strings.Join(got, " ") != want {
		t.Fatalf("images %v, want %s", got, want)
	}
}
