// Package policies embeds gate's shipped Rego policy, its tests and its data, for commands that run without a checkout.
package policies

import "embed"

// FS holds the .rego files (tests included) and data/.
//
//go:embed *.rego data
var FS embed.FS
