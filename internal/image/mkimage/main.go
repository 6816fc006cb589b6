// Command mkimage builds gate's container image from gate binaries, without a daemon: an OCI layout on disk, or pushed to a registry (run by scripts/image.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gatehq/gate/internal/image"
)

type binaries map[string]string

func (b binaries) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binaries) Set(v string) error {
	p, path, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q: want PLATFORM=PATH, e.g. linux/amd64=dist/bin/gate_linux_amd64", v)
	}
	b[p] = path
	return nil
}

func main() {
	s := image.Spec{Binaries: binaries{}, Webhooks: binaries{}}
	flag.Var(binaries(s.Binaries), "binary", "PLATFORM=PATH of gate built for that platform (repeat)")
	flag.Var(binaries(s.Webhooks), "webhook", "PLATFORM=PATH of gate-webhook built for that platform (repeat, one for each -binary)")
	flag.StringVar(&s.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle to install as the image's CA certificates")
	flag.StringVar(&s.Version, "version", "", "the release version (git describe)")
	flag.StringVar(&s.Revision, "revision", "", "the commit")
	flag.StringVar(&s.Source, "source", "https://github.com/gatehq/gate", "the source repository")
	layoutDir := flag.String("layout", "", "write an OCI layout to this directory (replaced)")
	push := flag.String("push", "", "push to this REPOSITORY:TAG instead")
	flag.Parse()
	if err := run(s, *layoutDir, *push); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(s image.Spec, layoutDir, push string) error {
	if (layoutDir == "") == (push == "") {
		return fmt.Errorf("give exactly one of -layout and -push")
	}
	// The commit's time, as reproducible-builds.org's SOURCE_DATE_EPOCH: the build's own
	// time would make every build differ.
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want the commit's time in seconds (git log -1 --format=%%ct)", os.Getenv("SOURCE_DATE_EPOCH"))
	}
	s.Created = time.Unix(epoch, 0).UTC()
	idx, err := image.Build(s)
	if err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	if push != "" {
		ref, err := image.Push(context.Background(), push, idx)
		if err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	}
	if err := image.WriteLayout(layoutDir, idx, s.Version); err != nil {
		return err
	}
	fmt.Println(d)
	return nil
}
