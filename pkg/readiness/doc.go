// Package readiness serves the release-readiness page: the release tables of a few repositories as one HTML page for the GO/NOGO meeting.
package readiness
