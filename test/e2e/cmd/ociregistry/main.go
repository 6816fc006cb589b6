// Command ociregistry serves go-containerregistry's in-memory registry with
// the OCI referrers API turned on, which `crane registry serve` leaves off:
// the end-to-end tests' registry that has the referrers API, run as its own
// process like any registry a user runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	verbose := flag.Bool("v", false, "log every request to stderr")
	flag.Parse()
	if err := run(*listen, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "ociregistry:", err)
		os.Exit(1)
	}
}

func run(listen string, verbose bool) error {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	logs := io.Discard
	if verbose {
		logs = os.Stderr
	}
	srv := &http.Server{
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(logs, "", log.LstdFlags))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// The one line on stdout: where the registry is, once it accepts connections.
	fmt.Printf("listening on %s\n", l.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
