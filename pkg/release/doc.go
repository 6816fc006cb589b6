// Package release builds the release table of a repository: each digest with its tags, and per environment whether it is blessed, what is missing, and who voted.
package release
