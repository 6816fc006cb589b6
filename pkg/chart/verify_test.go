package chart_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/chart"
	"github.com/gatehq/gate/pkg/chart/charttest"
	"github.com/gatehq/gate/pkg/oci"
)

// shop is a chart of one module: a Deployment whose image and a migration
// Job's init container come from the values.
func shop(version string) charttest.Chart {
	return charttest.Chart{Name: "shop", Version: version, Files: map[string]string{
		"values.yaml":            "image: \"\"\nmigrate: \"\"\n",
		"templates/_helpers.tpl": `{{- define "shop.name" -}}{{ .Release.Name }}-shop{{- end -}}`,
		"templates/NOTES.txt":    "installed {{ include \"shop.name\" . }}\n",
		"templates/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ include "shop.name" . }}}
spec:
  template:
    spec:
      containers:
        - name: web
          image: {{ required "set image" .Values.image | quote }}
`,
		"templates/migrate.yaml": `{{- if .Values.migrate }}
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {"helm.sh/hook": pre-upgrade}
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: {{ .Values.migrate | quote }}
      containers:
        - name: done
          image: {{ .Values.image | quote }}
{{- end }}
`,
		"templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\n",
	}}
}

func verify(t *testing.T, f *admittest.Fixture, ref string, v chart.Values) (*chart.Decision, error) {
	t.Helper()
	charttest.NeedHelm(t)
	return chart.NewVerifier(f.Client, f.Config).Verify(context.Background(), ref, chart.Options{Values: v})
}

func TestAChartIsBlessedOnlyWhenItsImagesAre(t *testing.T) {
	f := admittest.New(t)
	app, _ := f.Image(t, "team/app", "1.0")
	migrate, migrateDigest := f.Image(t, "team/migrate", "1.0")
	f.Bless(t, app)
	ref, _ := charttest.Push(t, f.Host, "charts/shop", shop("0.1.0"))
	f.Bless(t, ref)
	vals := chart.Values{Set: []string{"image=" + app, "migrate=" + migrate}}

	d, err := verify(t, f, ref, vals)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !d.Chart.Allowed {
		t.Fatalf("chart blessed, one image not: want the chart's own decision blessed and the release not, got release %v chart %v", d.Allowed, d.Chart.Allowed)
	}
	if len(d.Images) != 2 {
		t.Fatalf("want the 2 distinct images the chart renders, got %+v", d.Images)
	}
	var out strings.Builder
	if err := chart.WriteText(&out, d); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, want := range []string{"NOT BLESSED  " + ref, "image  NOT BLESSED  " + migrate, "image  BLESSED  " + app,
		"digest " + migrateDigest.DigestStr() + " (the chart names a tag", "Job migrate (shop/templates/migrate.yaml)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the answer does not say %q:\n%s", want, out.String())
		}
	}

	f.Bless(t, migrate)
	if d, err = verify(t, f, ref, vals); err != nil || !d.Allowed {
		t.Fatalf("chart and every image blessed: want blessed, got %v %v", d, err)
	}

	// A chart of blessed images is not blessed on theirs.
	bare, _ := charttest.Push(t, f.Host, "charts/shop", shop("0.2.0"))
	if d, err = verify(t, f, bare, vals); err != nil || d.Allowed || d.Chart.Allowed {
		t.Fatalf("chart not blessed, its images blessed: want not blessed, got %+v %v", d, err)
	}
}

func TestValuesChooseTheImagesDecided(t *testing.T) {
	f := admittest.New(t)
	good, _ := f.Image(t, "team/app", "1.0")
	bad, _ := f.Image(t, "team/app", "1.1-unreviewed")
	f.Bless(t, good)
	ref, _ := charttest.Push(t, f.Host, "charts/shop", shop("0.1.0"))
	f.Bless(t, ref)
	dir := t.TempDir()
	file := filepath.Join(dir, "prod.yaml")
	if err := os.WriteFile(file, []byte("image: "+bad+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc  string
		v     chart.Values
		image string
		want  bool
	}{
		{"values file naming an unblessed image", chart.Values{Files: []string{file}}, bad, false},
		{"--set over the file naming a blessed one", chart.Values{Files: []string{file}, Set: []string{"image=" + good}}, good, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := verify(t, f, ref, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.want || len(d.Images) != 1 || d.Images[0].Image != tc.image {
				t.Fatalf("want allowed=%v deciding %s, got %v over %+v", tc.want, tc.image, d.Allowed, d.Images)
			}
		})
	}
}

func TestWhatCannotBeDecidedIsAnError(t *testing.T) {
	f := admittest.New(t)
	image, _ := f.Image(t, "team/app", "1.0")
	ref, _ := charttest.Push(t, f.Host, "charts/shop", shop("0.1.0"))
	f.Bless(t, ref)
	broken, _ := charttest.Push(t, f.Host, "charts/broken", charttest.Chart{Name: "broken", Version: "1.0.0",
		Files: map[string]string{"templates/x.yaml": "{{ .Values.nope.deeper }"}})
	f.Bless(t, broken)

	if _, err := verify(t, f, ref, chart.Values{}); !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), "set image") {
		t.Errorf("a required value unset: want ErrRender saying which, got %v", err)
	}
	if _, err := verify(t, f, broken, chart.Values{}); !errors.Is(err, chart.ErrRender) {
		t.Errorf("a template that does not parse: want ErrRender, got %v", err)
	}
	if _, err := verify(t, f, ref, chart.Values{Files: []string{"missing.yaml"}}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing values file: want an error naming it, got %v", err)
	}
	if _, err := verify(t, f, image, chart.Values{}); !errors.Is(err, oci.ErrNotChart) {
		t.Errorf("an image verified as a chart: want ErrNotChart, got %v", err)
	}
	// An image the registry does not have: the release could not be decided, never blessed.
	d, err := verify(t, f, ref, chart.Values{Set: []string{"image=" + f.Host + "/team/gone@sha256:" + strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatalf("an image that is not there blessed the release: %+v", d)
	}
	d2, err := verify(t, f, ref, chart.Values{Set: []string{"image=127.0.0.1:1/team/app:1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Allowed || !d2.Undecided() {
		t.Fatalf("an unreachable image's registry: want undecided, got %+v", d2)
	}
}

// A subchart's images are the release's too; a condition that turns the
// subchart off takes them out, as helm install would.
func TestSubchartImagesCount(t *testing.T) {
	charttest.NeedHelm(t)
	withDB := charttest.Chart{Name: "app", Version: "1.0.0", Files: map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: db, version: 0.1.0, condition: db.enabled}\n",
		"values.yaml": "db: {enabled: true}\n",
		"templates/web.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: reg.example/app@sha256:" +
			strings.Repeat("1", 64) + "}]}\n",
		"charts/db/Chart.yaml":         "apiVersion: v2\nname: db\nversion: 0.1.0\n",
		"charts/db/values.yaml":        "image: reg.example/db:16\n",
		"charts/db/templates/sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {template: {spec: {containers: [{name: db, image: {{ .Values.image }}}]}}}\n",
	}}
	for _, tc := range []struct {
		desc string
		set  []string
		want []string
	}{
		// In the order of the templates' names: app/charts/db/… before app/templates/….
		{"subchart on", nil, []string{"reg.example/db:16", "reg.example/app@sha256:" + strings.Repeat("1", 64)}},
		{"subchart's value set from the parent", []string{"db.image=reg.example/db:17"}, []string{"reg.example/db:17", "reg.example/app@sha256:" + strings.Repeat("1", 64)}},
		{"subchart off", []string{"db.enabled=false"}, []string{"reg.example/app@sha256:" + strings.Repeat("1", 64)}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			r, err := chart.Render(context.Background(), charttest.Archive(t, withDB), chart.Values{Set: tc.set})
			if err != nil {
				t.Fatal(err)
			}
			uses, err := chart.Images(r)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range uses {
				got = append(got, u.Image)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("images %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		desc string
		c    charttest.Chart
		want string
	}{
		{"a dependency the archive lacks", charttest.Chart{Name: "app", Version: "1.0.0", Files: map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: db, version: 0.1.0}\n"}}, "missing in charts/ directory: db"},
		{"a library chart", charttest.Chart{Name: "lib", Version: "1.0.0", Files: map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n"}}, "library charts are not installable"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := chart.Render(context.Background(), charttest.Archive(t, tc.c), chart.Values{})
			if !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrRender saying %q, got %v", tc.want, err)
			}
		})
	}
}
