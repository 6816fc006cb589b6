// Package record keeps decision records: an append-only log, one JSON object a line, of what gate decided about an image, under which policy, on what evidence.
//
// A record holds the policy's whole input, so that a decision can be
// replayed under another version of the policy (`gate policy diff`), and
// nothing else: no registry credentials, no rejected attestations, no
// errors that could quote a request.
package record
