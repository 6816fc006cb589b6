package main

import (
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/admit/admittest"
)

func TestPromoteExitCodes(t *testing.T) {
	src, dst := admittest.New(t), admittest.NewWithoutReferrersAPI(t)
	blessed, _ := src.Image(t, "build/app", "blessed")
	src.Evidence(t, blessed, "module-lead")
	unblessed, _ := src.Image(t, "build/app", "unblessed")
	src.Evidence(t, unblessed)
	for _, tc := range []struct {
		desc, image, dst string
		code             int
		says             string
	}{
		{"blessed: copied", blessed, dst.Host + "/prod/app:1.0", exitBlessed, "PROMOTED"},
		{"not blessed: nothing copied", unblessed, dst.Host + "/prod/app", exitNotBlessed, "nothing was copied"},
		{"destination of another digest: could not", blessed, dst.Host + "/prod/app@sha256:" + strings.Repeat("0", 64), exitUndecided, "keeps the digest"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, out := run(t, "promote", tc.image, tc.dst, "--env", admittest.Staging, "--config", src.ConfigPath)
			if code != tc.code || !strings.Contains(out, tc.says) {
				t.Errorf("exit %d, want %d saying %q:\n%s", code, tc.code, tc.says, out)
			}
		})
	}
}
