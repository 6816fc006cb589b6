// Command admission-load sends AdmissionReviews to a webhook over TLS from a process of its
// own, and prints one JSON line: reviews per second and latency percentiles.
//
//	admission-load -url https://127.0.0.1:8443/validate -ca ca.crt -reviews reviews.jsonl -n 20000 -c 64
//
// Review i is line i modulo the number of lines of the -reviews file (one AdmissionReview per
// line). Connections are HTTP/2, as the API server's are; -warmup reviews (from
// -warmup-reviews) are sent first and not counted, so that connections are open before the
// clock starts.
//
// With -rate R the load is open: review i is sent at start + i/R whatever became of the ones
// before, each on its own goroutine, and its latency is counted from that intended time, not
// from when it was sent: a webhook that stalls is charged for every review that waited behind
// the stall (no coordinated omission). -c then only sizes the warm-up.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxReviewLine bounds one line of the reviews file: the webhook refuses more than 7 MiB anyway.
const maxReviewLine = 8 << 20

// Result is what one run measured.
type Result struct {
	Name     string  `json:"name"`
	Reviews  int     `json:"reviews"`
	Conc     int     `json:"concurrency"`    // closed loop: reviews in flight
	Rate     float64 `json:"rate,omitempty"` // open loop: reviews sent per second
	Errors   int64   `json:"errors"`         // transport errors and non-200 answers
	Allowed  int64   `json:"allowed"`        // answers that admitted
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"reviewsPerSecond"`
	P50ms    float64 `json:"p50ms"`
	P99ms    float64 `json:"p99ms"`
	MaxMs    float64 `json:"maxMs"`
	FirstErr string  `json:"firstError,omitempty"`
	// ErrorKinds counts the errors by message (at most maxErrorKinds of them), so that a run
	// whose first error is a consequence ("force closed") shows its cause too.
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
}

// maxErrorKinds bounds the distinct error messages a run keeps: a broken webhook fails
// every review alike, and a few kinds say what happened.
const maxErrorKinds = 8

// failures counts a run's errors, by message.
type failures struct {
	mu    sync.Mutex
	n     int64
	first string
	kinds map[string]int64
}

func (f *failures) add(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	msg := err.Error()
	if f.first == "" {
		f.first = msg
	}
	if f.kinds == nil {
		f.kinds = map[string]int64{}
	}
	if _, ok := f.kinds[msg]; ok || len(f.kinds) < maxErrorKinds {
		f.kinds[msg]++
	}
}

func main() {
	url := flag.String("url", "", "webhook URL, https://…/validate")
	caFile := flag.String("ca", "", "CA certificate (PEM) the webhook's certificate is signed by")
	reviewsFile := flag.String("reviews", "", "AdmissionReviews, one JSON document per line")
	n := flag.Int("n", 10000, "reviews to send and count")
	c := flag.Int("c", 32, "reviews in flight at once")
	warmup := flag.Int("warmup", 200, "reviews sent first and not counted")
	warmupFile := flag.String("warmup-reviews", "", "reviews to warm up with (default: -reviews)")
	name := flag.String("name", "", "name of this run, echoed in the result")
	rate := flag.Float64("rate", 0, "open loop: send this many reviews per second, whatever the answers (0: closed loop of -c)")
	flag.Parse()
	if *warmupFile == "" {
		*warmupFile = *reviewsFile
	}
	if err := run(*url, *caFile, *reviewsFile, *warmupFile, *n, *c, *warmup, *rate, *name); err != nil {
		fmt.Fprintln(os.Stderr, "admission-load:", err)
		os.Exit(1)
	}
}

func run(url, caFile, reviewsFile, warmupFile string, n, c, warmup int, rate float64, name string) error {
	if url == "" || caFile == "" || reviewsFile == "" || n < 1 || c < 1 || rate < 0 {
		return fmt.Errorf("-url, -ca and -reviews are required, -n and -c positive, -rate not negative")
	}
	reviews, err := readReviews(reviewsFile)
	if err != nil {
		return err
	}
	warmups, err := readReviews(warmupFile)
	if err != nil {
		return err
	}
	client, err := newClient(caFile)
	if err != nil {
		return err
	}
	if warmup > 0 {
		load(client, url, warmups, warmup, min(c, warmup))
	}
	var r Result
	if rate > 0 {
		r = loadAtRate(client, url, reviews, n, rate)
	} else {
		r = load(client, url, reviews, n, c)
	}
	r.Name = name
	return json.NewEncoder(os.Stdout).Encode(r)
}

func readReviews(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading reviews: %w", err)
	}
	defer f.Close()
	var out [][]byte
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), maxReviewLine)
	for s.Scan() {
		if line := bytes.TrimSpace(s.Bytes()); len(line) > 0 {
			out = append(out, slices.Clone(line))
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading reviews %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no review", path)
	}
	return out, nil
}

func newClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	t := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64}
	return &http.Client{Transport: t, Timeout: 60 * time.Second}, nil
}

// load sends n reviews, c at a time, and measures them.
func load(client *http.Client, url string, reviews [][]byte, n, c int) Result {
	latencies := make([]time.Duration, n)
	var next, allowed atomic.Int64
	var fails failures
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				ok, err := review(client, url, reviews[i%len(reviews)])
				latencies[i] = time.Since(t0)
				switch {
				case err != nil:
					fails.add(err)
				case ok:
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	r := summarize(latencies, time.Since(start), &fails, allowed.Load())
	r.Conc = c
	return r
}

// loadAtRate sends n reviews at rate per second, open loop, and measures each from the time it
// was meant to be sent.
func loadAtRate(client *http.Client, url string, reviews [][]byte, n int, rate float64) Result {
	latencies := make([]time.Duration, n)
	var allowed atomic.Int64
	var fails failures
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := range n {
		intended := start.Add(time.Duration(i) * interval)
		if d := time.Until(intended); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			ok, err := review(client, url, reviews[i%len(reviews)])
			latencies[i] = time.Since(intended)
			switch {
			case err != nil:
				fails.add(err)
			case ok:
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	r := summarize(latencies, time.Since(start), &fails, allowed.Load())
	r.Rate = rate
	return r
}

func summarize(latencies []time.Duration, elapsed time.Duration, fails *failures, allowed int64) Result {
	n := len(latencies)
	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fails.mu.Lock()
	defer fails.mu.Unlock()
	return Result{Reviews: n, Errors: fails.n, Allowed: allowed, Seconds: elapsed.Seconds(), FirstErr: fails.first, ErrorKinds: fails.kinds,
		PerSec: float64(n) / elapsed.Seconds(), P50ms: ms(latencies[n*50/100]), P99ms: ms(latencies[min(n-1, n*99/100)]), MaxMs: ms(latencies[n-1])}
}

// review posts one AdmissionReview and reports whether it was admitted.
func review(client *http.Client, url string, body []byte) (bool, error) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	var out struct {
		Response struct {
			Allowed bool `json:"allowed"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return false, fmt.Errorf("decoding answer: %w", err)
	}
	return out.Response.Allowed, nil
}
