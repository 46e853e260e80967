// Package legacy reads format-1 state files, the one-JSON-file-per-release
// format (<state_dir>/<id>.json) that octorelease wrote before format 2, so
// that `migrate` can carry them over. It only reads: nothing here writes a
// format-1 file for octorelease to use.
//
// It replaces the hand-written format-1 codec with encoding/json and its own
// copies of the format-1 types. They must not follow later changes of
// internal/checklist or internal/release: the hash chain covers the exact
// bytes the old encoder wrote for these types, so a new field (even an
// omitempty one), a renamed tag or a reordered field would break Verify.
//
// Decode is as strict as the old decoder was, and a little stricter (see
// checkNoDuplicateKeys); Verify recomputes the hash chain as the old code
// did; VerifyBytes also requires the canonical bytes, as `audit verify` did.
package legacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Format is the only format version this package reads.
const Format = 1

// MaxSize is the largest state file Decode accepts, as the format-1 store did.
const MaxSize = 64 << 20

// File is one format-1 state file: a release or an incident run. Everything
// but Serial is covered by the hash chain.
type File struct {
	Format    int       `json:"format"`
	Serial    int64     `json:"serial"` // bumped on every write, outside the chain
	Release   Meta      `json:"release"`
	Checklist Checklist `json:"checklist"` // the snapshot taken at start
	Events    []Event   `json:"events"`
}

// Meta is what `start` (or `incident`) fixed about the release.
type Meta struct {
	ID        string    `json:"id"`
	Version   string    `json:"version"`
	Type      string    `json:"type"`             // patch, minor, major, or incident
	Parent    string    `json:"parent,omitempty"` // for an incident run: the release it belongs to
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Event is one entry of the append-only log. Kind is one of start, sign,
// waive, revoke, check, force and status. The field order and omitempty
// tags are those of the old type: they decide the bytes that are hashed.
type Event struct {
	Seq      int          `json:"seq"`
	Kind     string       `json:"kind"`
	At       time.Time    `json:"at"`
	Actor    string       `json:"actor"`
	Role     string       `json:"role,omitempty"`
	Item     string       `json:"item,omitempty"`
	Note     string       `json:"note,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Evidence []string     `json:"evidence,omitempty"`
	Forced   bool         `json:"forced,omitempty"`
	Status   string       `json:"status,omitempty"` // kind "status": the new release status
	Link     string       `json:"link,omitempty"`   // a related release id (incident run, rolled-back release)
	Check    *CheckResult `json:"check,omitempty"`
	Prev     string       `json:"prev"` // hex SHA-256 of the previous event (or of the header for seq 1)
	Hash     string       `json:"hash"` // hex SHA-256 of this event's compact encoding with Hash empty
}

// CheckResult is the recorded outcome of one automated check run.
type CheckResult struct {
	Command      string `json:"command"`
	Passed       bool   `json:"passed"`
	ExitCode     int    `json:"exit_code"`
	TimedOut     bool   `json:"timed_out,omitempty"`
	DurationMS   int64  `json:"duration_ms"`
	OutputSHA256 string `json:"output_sha256"`
	OutputTail   string `json:"output_tail"` // last lines of combined stdout+stderr
}

// ReadFile reads and decodes the state file at path, reading no more than
// MaxSize+1 bytes of it. A missing file's error satisfies
// errors.Is(err, os.ErrNotExist).
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	// Refuse a large file before reading it; the limit still holds for
	// one that grows meanwhile or is not a regular file.
	if fi, err := fh.Stat(); err == nil && fi.Size() > MaxSize {
		return nil, fmt.Errorf("%s: %w", path, errTooBig)
	}
	data, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode parses a format-1 state file strictly: it must be one JSON object
// of the format-1 shape, with no unknown, repeated or mis-cased field, no
// trailing data, format 1 and at most MaxSize bytes. Otherwise a value means
// what it meant to encoding/json, and so to the old decoder: null leaves a
// field zero, invalid UTF-8 becomes U+FFFD, times are RFC 3339. Times are
// returned in UTC, as they were hashed. Decode does not check the hash
// chain (see Verify) nor the canonical form (see VerifyBytes).
func Decode(data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, errTooBig
	}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return nil, errors.New("empty state file")
	}
	f, err := decode(data)
	if err != nil {
		// A format-2 (or later) file fails on its first unknown field:
		// naming its format is more use than naming the field.
		if v := probeFormat(data); v != 0 && v != Format {
			return nil, wrongFormat(v)
		}
		return nil, fmt.Errorf("invalid state file: %w", err)
	}
	switch {
	case f.Format == 0:
		return nil, errors.New("invalid state file: format missing")
	case f.Format != Format:
		return nil, wrongFormat(int64(f.Format))
	}
	// Times that parse but cannot be written back in UTC (year 0000 with a
	// negative offset) cannot be hashed; the old decoder refused them too.
	if err := toUTC(&f.Release.CreatedAt); err != nil {
		return nil, fmt.Errorf("invalid state file: created_at: %w", err)
	}
	for i := range f.Events {
		if err := toUTC(&f.Events[i].At); err != nil {
			return nil, fmt.Errorf("invalid state file: event %d: %w", i+1, err)
		}
	}
	return f, nil
}

func decode(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	// Decode stops after one value; anything but white space after it is
	// trailing data (Token reports io.EOF only at the end).
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON object at offset %d", dec.InputOffset())
	}
	// Run on a value already known to fit the format-1 shape, so its
	// nesting is bounded by the types.
	if err := checkNoDuplicateKeys(data); err != nil {
		return nil, err
	}
	return &f, nil
}

var errTooBig = fmt.Errorf("invalid state file: larger than %d MiB", MaxSize>>20)

func wrongFormat(v int64) error {
	return fmt.Errorf("state file is format %d, not format %d", v, Format)
}

// probeFormat is the file's "format", read leniently; 0 if there is none.
func probeFormat(data []byte) int64 {
	var p struct {
		Format int64 `json:"format"`
	}
	if json.Unmarshal(data, &p) != nil {
		return 0
	}
	return p.Format
}

func toUTC(t *time.Time) error {
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time %s out of range", t)
	}
	*t = u
	return nil
}

// maxDepth is far beyond format 1's deepest value (root, checklist,
// phases, phase, items, item, check): it only bounds the walk's memory.
const maxDepth = 32

// checkNoDuplicateKeys walks data with json.Decoder.Token and rejects an
// object key that appears twice in the same object: encoding/json keeps the
// last one silently, the old decoder refused it.
//
// It also rejects a key with anything but a-z, 0-9 and '_' in it, which
// cannot be a format-1 field name. encoding/json matches keys without
// regard to case (with Unicode folding: "ſtatus" is "status"), which
// DisallowUnknownFields does not catch; with this rule a key that reaches
// a field is its exact name, so equal names are the only duplicates.
func checkNoDuplicateKeys(data []byte) error {
	type frame struct {
		keys    map[string]struct{} // nil for an array
		key     string              // the last key read
		index   int                 // the next array element
		wantKey bool
	}
	var stack []frame
	where := func() string {
		var b []byte
		for i, fr := range stack {
			switch {
			case fr.keys == nil:
				b = fmt.Appendf(b, "[%d]", fr.index)
			case i == len(stack)-1:
				// The object the key is in, not the key itself.
			case len(b) > 0:
				b = append(append(b, '.'), fr.key...)
			default:
				b = append(b, fr.key...)
			}
		}
		if len(b) == 0 {
			return "the top level"
		}
		return string(b)
	}
	// value is called once a whole value has been read in the innermost
	// frame: the next token there is a key, or the next element.
	value := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].keys != nil {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are not this walk's business: no float parsing
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				value()
				if len(stack) == 0 {
					return nil
				}
				continue
			}
			key, ok := tok.(string)
			if !ok { // Token checks the syntax: only strings go here
				return fmt.Errorf("expected a key in %s, found %v", where(), tok)
			}
			fr := &stack[n-1]
			if !isFieldName(key) {
				return fmt.Errorf("unknown field %q in %s (format-1 field names are lower-case ASCII)", key, where())
			}
			if _, dup := fr.keys[key]; dup {
				return fmt.Errorf("duplicate key %q in %s", key, where())
			}
			fr.keys[key] = struct{}{}
			fr.key, fr.wantKey = key, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxDepth {
				return fmt.Errorf("nested deeper than %d levels", maxDepth)
			}
			fr := frame{wantKey: tok == json.Delim('{')}
			if fr.wantKey {
				fr.keys = map[string]struct{}{}
			}
			stack = append(stack, fr)
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		value()
		if len(stack) == 0 {
			return nil // one value read; trailing data is decode's business
		}
	}
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
