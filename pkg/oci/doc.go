// Package oci stores attestations beside an image in its OCI registry and finds them again.
package oci
