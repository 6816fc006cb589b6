// Package gate composes registries, signatures and policy into the verbs gate's users run: attest, approve and verify.
package gate
