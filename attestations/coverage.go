package attestations

import "time"

// Coverage is gate's coverage predicate: no standard one exists.
type Coverage struct {
	// Format is the report format the numbers came from: gocover, lcov or cobertura.
	Format string `json:"format"`
	// Unit is what Covered and Total count: "statements" for Go, "lines" otherwise.
	Unit    string  `json:"unit"`
	Covered int     `json:"covered"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
	Files   int     `json:"files"`
	// Branches, when the report counts them.
	BranchesCovered int `json:"branchesCovered,omitempty"`
	BranchesTotal   int `json:"branchesTotal,omitempty"`
	// AttestedAt is when gate attest signed the report: the time the
	// policy reads a coverage report's age from, since the formats have none.
	AttestedAt time.Time `json:"attestedAt,omitzero"`
	// Commit is the source commit the covered code was built from, when
	// the pipeline gave it (gate attest --commit).
	Commit string `json:"commit,omitempty"`
}
