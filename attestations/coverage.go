package attestations

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
}
