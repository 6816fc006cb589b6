package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/gatehq/gate/pkg/sign"
)

// On a terminal, without $COSIGN_PASSWORD, generate-key-pair asks for the
// password twice, as cosign does, and the key opens with it.
func TestGenerateKeyPairPromptsTwiceOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gate")
	}
	bin := gateBinary(t)
	for _, tc := range []struct {
		desc, again string
		ok          bool
	}{
		{"the same twice", "s3cret", true},
		{"two different", "other", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "qa")
			cmd := exec.Command(bin, "generate-key-pair", "--output-key-prefix", prefix)
			for _, e := range os.Environ() { // $COSIGN_PASSWORD unset, not empty
				if !strings.HasPrefix(e, sign.PasswordEnv+"=") {
					cmd.Env = append(cmd.Env, e)
				}
			}
			tty, err := pty.Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			defer tty.Close()
			r := bufio.NewReader(tty)
			for _, answer := range []string{"s3cret", tc.again} {
				if err := waitFor(r, "password for private key", 20*time.Second); err != nil {
					t.Fatal(err)
				}
				tty.WriteString(answer + "\r")
			}
			err = cmd.Wait()
			if tc.ok {
				if err != nil {
					t.Fatalf("exit: %v", err)
				}
				if _, err := sign.LoadKey(prefix+".key", []byte("s3cret")); err != nil {
					t.Fatalf("the key does not open with the password typed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("two different passwords: exit 0")
			}
			if _, err := os.Stat(prefix + ".key"); err == nil {
				t.Fatal("two different passwords: a key was written")
			}
		})
	}
}

// waitFor reads r until it has seen s.
func waitFor(r *bufio.Reader, s string, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		var seen strings.Builder
		for !strings.Contains(seen.String(), s) {
			b, err := r.ReadByte()
			if err != nil {
				done <- err
				return
			}
			seen.WriteByte(b)
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return os.ErrDeadlineExceeded
	}
}
