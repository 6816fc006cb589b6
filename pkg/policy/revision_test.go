package policy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a git repository holding a copy of the shipped policy under
// policies/, committed, and returns its directory.
func gitRepo(t testing.TB) string {
	t.Helper()
	repo := t.TempDir()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	gitIn(t, repo, "init", "-q", "-b", "main")
	src := copyPolicies(t)
	if err := os.Rename(src, filepath.Join(repo, "policies")); err != nil {
		t.Fatal(err)
	}
	commit(t, repo, "the shipped policy")
	return repo
}

func gitIn(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=gate", "-c", "user.email=gate@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func commit(t testing.TB, repo, msg string) {
	t.Helper()
	gitIn(t, repo, "add", "-A")
	gitIn(t, repo, "commit", "-q", "-m", msg)
}

func TestSnapshot(t *testing.T) {
	repo := gitRepo(t)
	policies := filepath.Join(repo, "policies")
	edit(t, policies, "data/production.json", `"min_coverage": 80`, `"min_coverage": 85`)
	if err := os.Remove(filepath.Join(policies, "data", "staging.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, policies, "new.rego", "package gate.blessed\n")
	s, err := NewSnapshot("main")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	dir, err := s.Path(ctx, policies)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data", "production.json")); err != nil || !strings.Contains(string(b), `"min_coverage": 80`) {
		t.Errorf("production.json at main = %q, %v; want the committed one", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.rego")); !os.IsNotExist(err) {
		t.Errorf("new.rego, not committed, is in the snapshot: %v", err)
	}
	// A file the working tree deleted is still at the revision; from a
	// directory relative to the repository, too.
	t.Chdir(filepath.Join(repo, "policies"))
	staging, err := s.Path(ctx, "data/staging.json")
	if err != nil {
		t.Fatal(err)
	}
	if staging != filepath.Join(dir, "data", "staging.json") {
		t.Errorf("staging.json copied to %s, want it under %s", staging, dir)
	}

	for _, tc := range []struct {
		desc, rev, path, want string
	}{
		{"a path not at the revision", "main", filepath.Join(policies, "new.rego"), "policies/new.rego does not exist at git revision main"},
		{"no such revision", "nope", policies, "git revision nope: not a commit"},
		{"an option for a revision", "--output=x", policies, `git revision "--output=x"`},
		{"outside any repository", "main", t.TempDir(), "finding the git repository"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := NewSnapshot(tc.rev)
			if err == nil {
				defer s.Close()
				_, err = s.Path(ctx, tc.path)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
