package report_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/report"
)

func ExampleParse() {
	data, err := os.ReadFile("testdata/gocover/go-chi.cover")
	if err != nil {
		log.Fatal(err)
	}
	r, err := report.Parse("go-chi.cover", data, report.Options{})
	if err != nil {
		log.Fatal(err)
	}
	c := r.Predicate.(*attestations.Coverage)
	fmt.Println(r.Format, r.PredicateType)
	fmt.Printf("%d of %d %s covered: %.2f%%\n", c.Covered, c.Total, c.Unit, c.Percent)
	// Output:
	// gocover https://gatehq.dev/attestation/coverage/v0.1
	// 969 of 1272 statements covered: 76.18%
}

// A go test -json stream in which the build failure was written as plain
// text is an error naming the line, not a run without failures.
func ExampleParse_failClosed() {
	data, err := os.ReadFile("testdata/gotest-json/go-junit-report-102-broken-nonjson.txt")
	if err != nil {
		log.Fatal(err)
	}
	_, err = report.Parse("unit.jsonl", data, report.Options{Format: report.GoTestJSON, Stage: "unit"})
	fmt.Println(err)
	// Output:
	// unit.jsonl:1: parsing gotest-json report: not a go test -json event: "# package/name/broken [package/name/broken.test]"
}
