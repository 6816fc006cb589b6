package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/chart/charttest"
)

// web is a chart whose Deployment runs .Values.image and, when set, a
// sidecar .Values.sidecar.
var web = charttest.Chart{Name: "web", Version: "1.2.3", Files: map[string]string{
	"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: web, image: {{ required "set image to the app's image" .Values.image | quote }}}
{{- with .Values.sidecar }}
        - {name: sidecar, image: {{ . | quote }}}
{{- end }}
`}}

func TestAChartIsDecidedByItsOCINameWithItsImages(t *testing.T) {
	charttest.NeedHelm(t)
	c := newCLI(t)
	chartRef, _ := charttest.Push(t, c.host, "charts/web", web)
	sidecar := c.pushImage(t, "team/sidecar:2.0")
	c.bless(t, c.image)
	c.bless(t, chartRef) // attest and approve by oci://…
	cfg := c.path("gate.yaml")

	if code, out := run(t, "verify", chartRef, "--config", cfg); code != exitBlessed || !strings.HasPrefix(out, "BLESSED  "+chartRef) {
		t.Fatalf("the chart on its own evidence: exit %d, want 0:\n%s", code, out)
	}
	if code, out := run(t, "status", "oci://"+c.host+"/charts/web", "--config", cfg); code != 0 || !strings.Contains(out, "BLESSED") || !strings.Contains(out, "1.2.3") {
		t.Fatalf("status of the chart repository: exit %d:\n%s", code, out)
	}
	values := c.write("prod.yaml", "image: "+c.image+"\nsidecar: "+sidecar+"\n")
	code, out := run(t, "verify", chartRef, "--config", cfg, "--images", "--values", values)
	if code != exitNotBlessed || !strings.Contains(out, "image  NOT BLESSED  "+sidecar) || !strings.Contains(out, "image  BLESSED  "+c.image) {
		t.Fatalf("chart blessed, its sidecar not: exit %d, want 1 naming the sidecar:\n%s", code, out)
	}
	if code, out := run(t, "verify", chartRef, "--config", cfg, "--images", "--values", values, "--set", "sidecar="); code != exitBlessed {
		t.Fatalf("--set dropping the sidecar: exit %d, want 0:\n%s", code, out)
	}
	c.bless(t, sidecar)
	if code, out := run(t, "verify", chartRef, "--config", cfg, "--images", "--values", values, "--output", "json"); code != exitBlessed || !strings.Contains(out, `"allowed": true`) {
		t.Fatalf("chart and both images blessed: exit %d, want 0:\n%s", code, out)
	}
	// Promoted by its oci:// names, the chart keeps its digest and evidence, and so its blessing.
	prod := "oci://" + c.host + "/prod/charts/web:1.2.3"
	if code, out := run(t, "promote", chartRef, prod, "--config", cfg); code != exitBlessed {
		t.Fatalf("promoting the chart: exit %d, want 0:\n%s", code, out)
	}
	if code, out := run(t, "verify", prod, "--config", cfg, "--images", "--values", values); code != exitBlessed {
		t.Fatalf("the promoted chart: exit %d, want 0:\n%s", code, out)
	}
}

func TestAChartThatCannotBeDecidedIsExit2(t *testing.T) {
	charttest.NeedHelm(t)
	c := newCLI(t)
	chartRef, _ := charttest.Push(t, c.host, "charts/web", web)
	cfg := c.path("gate.yaml")
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"a required value unset", []string{"verify", chartRef, "--images"}, "set image to the app's image"},
		{"values without --images", []string{"verify", chartRef, "--set", "image=x"}, "add --images"},
		{"an image's registry unreachable", []string{"verify", chartRef, "--images", "--set", "image=127.0.0.1:1/team/app:1.0"}, "COULD NOT DECIDE"},
		{"--images on an image", []string{"verify", c.image, "--images"}, "--images is for charts"},
		{"a VSA of a release", []string{"verify", chartRef, "--images", "--attest-vsa", "--key", c.path("ci.key")}, "without --images"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, out := run(t, append(tc.args, "--config", cfg)...)
			if code != exitUndecided || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, out)
			}
		})
	}
}

// A freeze judges the chart's images as it judges an image: a chart that
// would roll an image forward while production is frozen is not blessed,
// the same chart with the image blessed before the freeze is a rollback.
func TestAFreezeHoldsAChartsImages(t *testing.T) {
	charttest.NeedHelm(t)
	c := newCLI(t)
	raw, _ := os.ReadFile(c.path("gate.yaml"))
	c.write("gate.yaml", string(raw)+"freeze: {repository: "+c.host+"/gate/freeze, roles: [sre]}\n")
	cfg := c.path("gate.yaml")
	chartRef, _ := charttest.Push(t, c.host, "charts/web", web)
	c.bless(t, c.image)
	c.bless(t, chartRef)
	frozenAt := time.Now()
	if code, out := run(t, "freeze", "--env", "production", "--reason", "incident 4211", "--key", c.path("sre.key"), "--config", cfg); code != 0 {
		t.Fatalf("freeze: exit %d: %s", code, out)
	}
	time.Sleep(time.Until(frozenAt.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	next := c.pushImage(t, "team/app:1.1")
	c.bless(t, next)

	if code, out := run(t, "verify", chartRef, "--config", cfg, "--images", "--set", "image="+next); code != exitNotBlessed || !strings.Contains(out, "frozen by sre") {
		t.Fatalf("a chart rolling an image forward while frozen: exit %d, want %d saying it is frozen:\n%s", code, exitNotBlessed, out)
	}
	if code, out := run(t, "verify", chartRef, "--config", cfg, "--images", "--set", "image="+c.image); code != exitBlessed {
		t.Fatalf("the chart with the image blessed before the freeze: exit %d, want 0:\n%s", code, out)
	}
}
