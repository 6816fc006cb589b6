package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGet(t *testing.T) {
	recorded := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-29T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, true
	}
	nothing := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		desc    string
		v, c, d string
		read    func() (*debug.BuildInfo, bool)
		want    Info
	}{
		{"stamped at link time: the stamp wins over what the toolchain recorded", "v0.1.0", "6f1c2e0", "2026-11-28T09:00:00Z", recorded,
			Info{Version: "v0.1.0", Commit: "6f1c2e0", Date: "2026-11-28T09:00:00Z", GoVersion: "go1.26.8"}},
		{"not stamped: the toolchain's VCS record, dirty checkouts say so", "", "", "", recorded,
			Info{Version: "(devel)-dirty", Commit: "abc123", Date: "2026-11-29T10:00:00Z", GoVersion: "go1.26.8"}},
		{"nothing known: unknown, never empty", "", "", "", nothing,
			Info{Version: "unknown", Commit: "unknown", Date: "unknown", GoVersion: runtime.Version()}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := get(tc.v, tc.c, tc.d, tc.read)
			tc.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
