// Package verify decides whether an attestation counts as evidence: its signature, its subject digest and its signer's role.
package verify
