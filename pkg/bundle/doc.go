// Package bundle stores a policy and its data in a registry as a signed OPA bundle, and reads one back only when a role the trust config allows to sign policies signed it.
package bundle
