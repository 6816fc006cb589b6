package pipelines

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionlintPath is the actionlint scripts/install-actionlint.sh installed:
// $ACTIONLINT as it prints it, or where it puts it by default.
func actionlintPath() string {
	if p := os.Getenv("ACTIONLINT"); p != "" {
		return p
	}
	tools := os.Getenv("GATE_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".cache", "gate", "tools")
	}
	return filepath.Join(tools, "actionlint-v1.7.12", "actionlint")
}

// TestGitHubWorkflowsPassActionlint runs the real actionlint on every
// workflow under github/. It uses shellcheck on the run: scripts when
// shellcheck is on PATH, as actionlint does.
func TestGitHubWorkflowsPassActionlint(t *testing.T) {
	if os.Getenv("GATE_E2E") == "" {
		t.Skip("set GATE_E2E=1 to run actionlint (installed by scripts/install-actionlint.sh)")
	}
	bin := actionlintPath()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("GATE_E2E is set but actionlint is missing: run scripts/install-actionlint.sh (%v)", err)
	}
	workflows, err := filepath.Glob(filepath.Join("github", "*.yml"))
	if err != nil || len(workflows) == 0 {
		t.Fatalf("no workflows in github/: %v", err)
	}
	for _, w := range workflows {
		t.Run(filepath.Base(w), func(t *testing.T) {
			out, err := exec.Command(bin, "-no-color", w).CombinedOutput()
			if err != nil {
				t.Errorf("actionlint %s: %v\n%s", w, err, out)
			}
		})
	}
}

// TestGitLabPipelineHangsTogether checks what GitLab would refuse when the
// pipeline is created: a job in an undeclared stage, needs or extends naming
// no job, a job without a script. (No GitLab linter runs offline.)
func TestGitLabPipelineHangsTogether(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("gitlab", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var top map[string]yaml.Node
	if err := doc.Decode(&top); err != nil {
		t.Fatal(err)
	}
	var stages []string
	if n, ok := top["stages"]; !ok || n.Decode(&stages) != nil {
		t.Fatal("no list of stages")
	}
	type job struct {
		Stage   string    `yaml:"stage"`
		Extends yaml.Node `yaml:"extends"`
		Needs   []string  `yaml:"needs"`
		Script  yaml.Node `yaml:"script"`
	}
	jobs := map[string]job{}
	for name, n := range top {
		if n.Kind != yaml.MappingNode || name == "variables" || name == "workflow" {
			continue
		}
		var j job
		if err := n.Decode(&j); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		jobs[name] = j
	}
	extends := func(j job) []string {
		var list []string
		if j.Extends.Decode(&list) != nil {
			var one string
			_ = j.Extends.Decode(&one)
			list = []string{one}
		}
		return slices.DeleteFunc(list, func(s string) bool { return s == "" })
	}
	for name, j := range jobs {
		if strings.HasPrefix(name, ".") {
			continue // a template
		}
		t.Run(name, func(t *testing.T) {
			if !slices.Contains(stages, j.Stage) {
				t.Errorf("stage %q is not among %q", j.Stage, stages)
			}
			hasScript := j.Script.Kind != 0
			for _, e := range extends(j) {
				tmpl, ok := jobs[e]
				if !ok {
					t.Errorf("extends %q, which is not defined", e)
				}
				hasScript = hasScript || tmpl.Script.Kind != 0
			}
			if !hasScript {
				t.Error("no script")
			}
			for _, n := range j.Needs {
				if _, ok := jobs[n]; !ok || strings.HasPrefix(n, ".") {
					t.Errorf("needs %q, which is not a job", n)
				}
			}
		})
	}
	for _, want := range []string{"gate attest", "gate approve", "gate verify", "gate policy test", "gate policy lint", "gate policy diff"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the pipeline never runs %s", want)
		}
	}
}
