package pipelines

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionRef is how the example workflows name gate's action (action.yml at the repository root).
const actionRef = "gatehq/gate@"

type actionInput struct {
	Required bool   `yaml:"required"`
	Default  string `yaml:"default"`
}

func readAction(t *testing.T) map[string]actionInput {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Name   string                 `yaml:"name"`
		Inputs map[string]actionInput `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				Shell string `yaml:"shell"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: runs.using %q with %d steps, want a composite action", a.Runs.Using, len(a.Runs.Steps))
	}
	for i, s := range a.Runs.Steps {
		if s.Shell == "" {
			t.Errorf("action.yml: step %d has no shell, which a composite action's run step needs", i)
		}
	}
	return a.Inputs
}

type step struct {
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
}

// actionSteps returns every step of the workflows under github/ that uses gate's action.
func actionSteps(t *testing.T) map[string][]step {
	t.Helper()
	workflows, _ := filepath.Glob(filepath.Join("github", "*.yml"))
	found := map[string][]step{}
	for _, w := range workflows {
		b, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []step `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &wf); err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		for _, j := range wf.Jobs {
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, actionRef) {
					found[w] = append(found[w], s)
				}
			}
		}
		if regexp.MustCompile(`go install \S*github\.com/gatehq/gate`).Match(b) {
			t.Errorf("%s still compiles gate with go install: use %s", w, actionRef)
		}
	}
	return found
}

// TestExamplesUseTheActionAsItIs checks, where actionlint cannot (it does not read a remote
// action's metadata), that every use of gate's action in the examples gives only inputs that
// action.yml declares, every required one, and a command the action runs.
func TestExamplesUseTheActionAsItIs(t *testing.T) {
	inputs := readAction(t)
	steps := actionSteps(t)
	if len(steps) == 0 {
		t.Fatal("no example workflow uses gate's action")
	}
	commands := map[string]bool{}
	for w, ss := range steps {
		for i, s := range ss {
			for k := range s.With {
				if _, ok := inputs[k]; !ok {
					t.Errorf("%s: step %d (%s) gives input %q, which action.yml does not declare", w, i, s.Uses, k)
				}
			}
			for k, in := range inputs {
				if _, ok := s.With[k]; in.Required && !ok {
					t.Errorf("%s: step %d (%s) lacks the required input %q", w, i, s.Uses, k)
				}
			}
			c := s.With["command"]
			if !slices.Contains([]string{"", "attest", "approve", "verify"}, c) {
				t.Errorf("%s: step %d: command %q is not one the action runs", w, i, c)
			}
			commands[c] = true
		}
	}
	for _, c := range []string{"", "attest", "verify"} {
		if !commands[c] {
			t.Errorf("no example uses the action with command %q", c)
		}
	}
}

// TestActionPassesActionlintAsALocalAction runs the real actionlint on the examples with gate's
// action as a local action (uses: ./), the one way actionlint reads an action's metadata: it
// then checks each step's inputs against action.yml, and action.yml itself.
func TestActionPassesActionlintAsALocalAction(t *testing.T) {
	if os.Getenv("GATE_E2E") == "" {
		t.Skip("set GATE_E2E=1 to run actionlint (installed by scripts/install-actionlint.sh)")
	}
	bin := actionlintPath()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("GATE_E2E is set but actionlint is missing: run scripts/install-actionlint.sh (%v)", err)
	}
	dir := t.TempDir()
	// actionlint finds the project, and so where ./ is, by its git repository.
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	local := regexp.MustCompile(`uses: ` + regexp.QuoteMeta(actionRef) + `\S+`)
	for w := range actionSteps(t) {
		b, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", filepath.Base(w)), local.ReplaceAll(b, []byte("uses: ./")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A step with an input action.yml lacks must fail: the check is live, not skipped.
	bad := "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with: {version: v0.1.0, no-such-input: x}\n"
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "bad.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-no-color")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !strings.Contains(line, "bad.yml") && strings.Contains(line, ".yml:") {
			t.Errorf("actionlint: %s", line)
		}
	}
	if !strings.Contains(string(out), `"no-such-input"`) {
		t.Errorf("actionlint did not refuse an input action.yml lacks, so it did not read action.yml:\n%s", out)
	}
}

// TestGitLabInstallTemplate checks the GitLab template that installs gate and its use.
func TestGitLabInstallTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("gitlab", "gate.gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]struct {
		BeforeScript []string `yaml:"before_script"`
	}
	if err := yaml.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(tmpl[".gate-install"].BeforeScript, "\n"); !strings.Contains(s, "checksums.txt") || !strings.Contains(s, "sha256sum") {
		t.Errorf(".gate-install does not check the binary against checksums.txt:\n%s", s)
	}
	ci, err := os.ReadFile(filepath.Join("gitlab", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gitlab/gate.gitlab-ci.yml\n", "!reference [.gate-install, before_script]"} {
		if !strings.Contains(string(ci), want) {
			t.Errorf("gitlab-ci.yml does not include or use the template: no %q", want)
		}
	}
	if strings.Contains(string(ci), "go install") {
		t.Error("gitlab-ci.yml still compiles gate with go install")
	}
}
