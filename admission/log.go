package admission

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Log formats of `gate webhook --log-format`.
const (
	LogJSON = "json"
	LogText = "text"
)

// NewLogger returns the webhook's one logger, writing format (LogJSON or LogText) to w. Every
// duration is logged in milliseconds under its key with "Ms" appended ("deadlineMs": 8000), so
// that a log reader need not guess a unit: slog would write JSON durations in nanoseconds.
func NewLogger(w io.Writer, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{ReplaceAttr: durationsInMilliseconds}
	switch format {
	case LogJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case LogText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want %s or %s", format, LogJSON, LogText)
}

func durationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key+"Ms", float64(a.Value.Duration())/float64(time.Millisecond))
	}
	return a
}
