package release

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/jsonenc"
)

// The canonical encoding of a state file is what json.MarshalIndent with two
// spaces produces, except that HTML characters (<, >, &) are not escaped so
// evidence URLs stay readable, plus a trailing newline. Times are in UTC,
// RFC 3339 with nanoseconds as Go writes them, and slices are never null.
// VerifyBytes compares a file with the re-encoding of its decoded value, so
// any byte that does not change the value (key case, spacing, escapes, number
// forms) is still caught; any byte that does change the value is caught by the
// hash chain.
//
// codec_encode.go and codec_decode.go write and read these bytes by hand,
// with no encoding/json and no reflection: see there for why.

// Encode returns the canonical bytes of a state file.
func Encode(r *Release) ([]byte, error) {
	if r == nil {
		return nil, errors.New("encode: nil release")
	}
	e := encoder{Encoder: jsonenc.Encoder{Indent: true}}
	b := e.release(make([]byte, 0, encodedSize(r)), r)
	if e.Err() != nil {
		return nil, fmt.Errorf("encode release %s: %w", r.Meta.ID, e.Err())
	}
	return append(b, '\n'), nil
}

// Decode parses a state file strictly: unknown fields, trailing data, a
// missing format and a format newer than this build are errors. It does not
// check the hash chain (see Verify) nor the canonical form (see VerifyBytes).
func Decode(data []byte) (*Release, error) {
	d := decoder{data: data}
	if d.ws(); d.i == len(data) {
		return nil, errors.New("empty state file")
	}
	var r Release
	if err := d.release(&r); err != nil {
		// A newer format may have fields this build does not know: say so
		// rather than report the unknown field.
		if f := probeFormat(data); f > FormatVersion {
			return nil, newerFormat(f)
		}
		return nil, fmt.Errorf("invalid state file: %w", err)
	}
	if d.ws(); d.i != len(data) {
		return nil, fmt.Errorf("invalid state file: trailing data after the JSON object: %w", d.errorf(d.i, "found %s", d.found()))
	}
	if err := checkDecoded(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkDecoded holds a parsed file to what parsing alone cannot: a format
// this build reads, and times it can write back.
func checkDecoded(r *Release) error {
	switch {
	case r.Format == 0:
		return errors.New("invalid state file: format missing")
	case r.Format > FormatVersion:
		return newerFormat(int64(r.Format))
	case r.Format < 0:
		return fmt.Errorf("invalid state file: format %d", r.Format)
	}
	if err := checkTimes(r); err != nil {
		return fmt.Errorf("invalid state file: %w", err)
	}
	return nil
}

func newerFormat(f int64) error {
	return fmt.Errorf("state written by a newer octorelease (format %d; this build reads %d)", f, FormatVersion)
}

// checkTimes rejects times that parse but cannot be written back in UTC
// (e.g. year 0000 with a negative offset).
func checkTimes(r *Release) error {
	ok := func(t time.Time) bool { y := t.UTC().Year(); return y >= 0 && y <= 9999 }
	if !ok(r.Meta.CreatedAt) {
		return fmt.Errorf("created_at %s out of range", r.Meta.CreatedAt)
	}
	for _, e := range r.Events {
		if !ok(e.At) {
			return fmt.Errorf("event %d: time %s out of range", e.Seq, e.At)
		}
	}
	return nil
}

// VerifyBytes audits a state file: it must decode, be in canonical form and
// have an intact hash chain. It returns nil when the file is intact.
func VerifyBytes(data []byte) []string {
	r, err := Decode(data)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	canon, err := Encode(r)
	if err != nil {
		return []string{err.Error()}
	}
	if !bytes.Equal(canon, data) {
		problems = append(problems, "file is not in canonical form (edited by hand?): "+firstDiff(data, canon))
	}
	return append(problems, r.Verify()...)
}

// firstDiff describes the first line where got differs from want.
func firstDiff(got, want []byte) string {
	g := bytes.SplitAfter(got, []byte("\n"))
	w := bytes.SplitAfter(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d is %q, expected %q", i+1, clip(gl), clip(wl))
		}
	}
	return "files differ"
}

func clip(b []byte) string {
	const max = 120
	s := []rune(string(bytes.TrimSuffix(b, []byte("\n"))))
	if len(s) > max {
		return string(s[:max]) + "…"
	}
	return string(s)
}

// normMeta and normChecklist are what New does to its arguments so that
// the encoding does not depend on how the value was built: times in UTC and
// no nil lists. Encode writes any release that way without copying it.
func normMeta(m Meta) Meta {
	m.CreatedAt = m.CreatedAt.UTC()
	return m
}

func normChecklist(c checklist.Checklist) checklist.Checklist {
	phases := make([]checklist.Phase, len(c.Phases))
	for i, p := range c.Phases {
		items := make([]checklist.Item, len(p.Items))
		for j, it := range p.Items {
			it.Roles = nonNil(it.Roles)
			it.Needs = nonNil(it.Needs)
			items[j] = it
		}
		p.Items = items
		phases[i] = p
	}
	c.Phases = phases
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
