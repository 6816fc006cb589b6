package report

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads the report at path and parses it as Parse does. A regular
// file larger than MaxReportSize is refused by its size, before any of it is
// read; anything else (a pipe, a device) is read to at most one byte more.
func ReadFile(path string, opts Options) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > MaxReportSize {
		return nil, &ParseError{File: path, Format: opts.Format, Err: tooLarge(info.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading report %s: %w", path, err)
	}
	if len(data) > MaxReportSize {
		return nil, &ParseError{File: path, Format: opts.Format, Err: fmt.Errorf(
			"%w: more than %d bytes; split the report, or leave out what gate does not read (verbose output, descriptions)",
			ErrTooLarge, MaxReportSize)}
	}
	return Parse(path, data, opts)
}

// tooLarge says a report of size bytes is over MaxReportSize, and what to do.
func tooLarge(size int64) error {
	return fmt.Errorf("%w: %d bytes, at most %d; split the report, or leave out what gate does not read (verbose output, descriptions)",
		ErrTooLarge, size, MaxReportSize)
}
