// Package freeze signs, stores and reads environments' freezes, and decides whether a digest may
// roll out while one holds: only a rollback to a digest blessed there before the freeze may.
package freeze
