// Package pipelines holds no code: its tests check the example CI pipelines beside it, the GitHub workflows with the real actionlint.
package pipelines
