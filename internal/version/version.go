// Package version says which build of gate is running: the release stamped in at link time, or what the Go toolchain recorded.
package version

import (
	"runtime"
	"runtime/debug"
)

// Stamped at link time by scripts/binaries.sh:
//
//	-X github.com/gatehq/gate/internal/version.version=v0.1.0
//	-X github.com/gatehq/gate/internal/version.commit=6f1c2e0…
//	-X github.com/gatehq/gate/internal/version.date=2026-11-29T19:00:00Z
//
// They are variables only because -X can set nothing else; Get is the way to read them.
var version, commit, date string

// Info describes one build of gate.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"` // the commit's time (RFC 3339), not the build's: builds are reproducible
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the stamped build information. A binary built without the release ldflags
// (go install, go build) falls back to what the toolchain recorded: the module version
// (v0.1.0 for go install …@v0.1.0, "(devel)" for a checkout) and the VCS revision and time.
func Get() Info {
	return get(version, commit, date, debug.ReadBuildInfo)
}

func get(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	i := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		i.GoVersion = bi.GoVersion
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if i.Commit == "" {
					i.Commit = s.Value
				}
			case "vcs.time":
				if i.Date == "" {
					i.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if i.Version == "" {
			i.Version = bi.Main.Version
			if modified && i.Version == "(devel)" {
				i.Version += "-dirty"
			}
		}
	}
	for _, f := range []*string{&i.Version, &i.Commit, &i.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	return i
}
