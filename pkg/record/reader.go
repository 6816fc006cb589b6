package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Entry is a record and where it was read.
type Entry struct {
	File   string
	Line   int
	Record Record
}

// Where is file:line.
func (e Entry) Where() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// LineError is a line of a records file that is not a record.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Reader reads records, one a line; blank lines are skipped.
type Reader struct {
	s    *bufio.Scanner
	name string
	line int
}

// NewReader reads records from r, naming it name in errors.
func NewReader(r io.Reader, name string) *Reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), MaxSize+1)
	return &Reader{s: s, name: name}
}

// Read returns the next record, or io.EOF after the last. A line that is
// not a whole, valid record is a *LineError naming the file and line; a
// crash while appending leaves such a last line.
func (r *Reader) Read() (Entry, error) {
	for r.s.Scan() {
		r.line++
		b := bytes.TrimSpace(r.s.Bytes())
		if len(b) == 0 {
			continue
		}
		e := Entry{File: r.name, Line: r.line}
		// Unknown fields are read past: a newer gate may write more.
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&e.Record); err != nil {
			return Entry{}, &LineError{File: r.name, Line: r.line, Err: err}
		}
		if dec.More() {
			return Entry{}, &LineError{File: r.name, Line: r.line, Err: errors.New("more than one JSON value on the line")}
		}
		if err := e.Record.Check(); err != nil {
			return Entry{}, &LineError{File: r.name, Line: r.line, Err: err}
		}
		return e, nil
	}
	if err := r.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", MaxSize)
		}
		return Entry{}, &LineError{File: r.name, Line: r.line + 1, Err: err}
	}
	return Entry{}, io.EOF
}

// ReadFile reads every record in the file at path.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading decision records: %w", err)
	}
	defer f.Close()
	r := NewReader(f, path)
	var out []Entry
	for {
		e, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}
