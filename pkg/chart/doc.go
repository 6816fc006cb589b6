// Package chart decides a Helm chart in an OCI registry together with every image it renders: one decision for one release of a module.
package chart
