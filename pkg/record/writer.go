package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// Writer appends records to a file. It is safe for concurrent use, and
// processes appending to one file at once do not interleave their lines:
// each record is one write to a file opened for appending, under an
// advisory lock where the system has one.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// Open opens path for appending records, creating it (mode 0644: records
// hold no secrets) if needed.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening decision records: %w", err)
	}
	return &Writer{f: f, path: path}, nil
}

// Append writes r as one line. A record that lacks what a replay needs, or
// is larger than MaxSize, is refused and nothing is written.
func (w *Writer) Append(r Record) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("appending to %s: %w", w.path, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil { // Encode ends the line.
		return fmt.Errorf("encoding decision record: %w", err)
	}
	if buf.Len() > MaxSize {
		return fmt.Errorf("appending to %s: record of %s is %d bytes, more than %d", w.path, r.Digest, buf.Len(), MaxSize)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	unlock, err := lock(w.f)
	if err != nil {
		return fmt.Errorf("locking %s: %w", w.path, err)
	}
	defer unlock()
	if _, err := w.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("appending to %s: %w", w.path, err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

// Append appends r to the records file at path: Open, Append, Close.
func Append(path string, r Record) error {
	w, err := Open(path)
	if err != nil {
		return err
	}
	if err := w.Append(r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
