// Package config reads gate's trust config: who may sign what, and which policy each environment applies.
package config
