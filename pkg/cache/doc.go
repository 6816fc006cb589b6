// Package cache keeps recent answers for a bounded time and number, and merges concurrent
// requests for the same answer into one computation.
package cache
