// Package promote copies a blessed image, and only the evidence that verified, to another repository.
package promote
