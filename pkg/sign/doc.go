// Package sign loads cosign keys and signs in-toto statements into Sigstore bundles.
package sign
