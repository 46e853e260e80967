package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// Size limits. A write never makes a file the reader refuses: an event
// that would be larger than MaxEventSize is refused before it is recorded.
const (
	MaxEventSize  = 256 << 10
	MaxHeaderSize = 16 << 20
	// MaxTextLen bounds a note, a reason or one evidence link.
	MaxTextLen = 16 << 10
	// MaxEvidence bounds the evidence links of one sign-off.
	MaxEvidence = 32
)

// canonical is the encoding an event's hash and signature cover: compact
// encoding/json of the event without Hash and Signature.
func canonical(e Event) ([]byte, error) {
	e.Hash, e.Signature = "", ""
	return json.Marshal(e)
}

// Canonical returns the bytes an event's hash and signature cover.
func (e Event) Canonical() ([]byte, error) { return canonical(e) }

// ComputeHash returns the hash the event must carry.
func (e Event) ComputeHash() (string, error) {
	b, err := canonical(e)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// HeaderHash is the hex SHA-256 of the header's compact encoding: the
// start event's parent, so the metadata and checklist are covered too.
func (h Header) Hash() (string, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// EncodeEvent returns the bytes of an event file: indented JSON, HTML
// characters left readable, a trailing newline.
func EncodeEvent(e Event) ([]byte, error) { return encodeIndented(e) }

// EncodeHeader returns the bytes of a release.json.
func EncodeHeader(h Header) ([]byte, error) { return encodeIndented(h) }

func encodeIndented(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeEvent parses an event file strictly: unknown fields, duplicate
// keys and trailing data are errors, and the values must be ones this
// build could have written. It does not check the hash (see Assemble).
func DecodeEvent(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventSize {
		return e, fmt.Errorf("event file is %d bytes, over the %d-byte limit", len(data), MaxEventSize)
	}
	if err := decodeStrict(data, &e); err != nil {
		return Event{}, fmt.Errorf("invalid event: %w", err)
	}
	if err := e.check(); err != nil {
		return Event{}, fmt.Errorf("invalid event: %w", err)
	}
	return e, nil
}

// DecodeHeader parses a release.json strictly. A format-1 or newer header
// Format1HeaderError is a header in state format 1's form: a release this
// build reads only once it is migrated.
type Format1HeaderError struct{}

func (*Format1HeaderError) Error() string { return "a format-1 state file" }

// is an error that says what to do.
func DecodeHeader(data []byte) (Header, error) {
	var h Header
	if len(data) > MaxHeaderSize {
		return h, fmt.Errorf("header is %d bytes, over the %d-byte limit", len(data), MaxHeaderSize)
	}
	var probe struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.Format > FormatVersion {
		return h, fmt.Errorf("written by a newer octorelease (format %d; this build reads %d)", probe.Format, FormatVersion)
	} else if err == nil && probe.Format == 1 {
		return h, &Format1HeaderError{}
	}
	if err := decodeStrict(data, &h); err != nil {
		return Header{}, fmt.Errorf("invalid header: %w", err)
	}
	switch {
	case h.Format != FormatVersion:
		return Header{}, fmt.Errorf("invalid header: format %d, expected %d", h.Format, FormatVersion)
	case ValidID(h.Meta.ID) != nil:
		return Header{}, fmt.Errorf("invalid header: release id %q", clip(h.Meta.ID))
	case !validTime(h.Meta.CreatedAt):
		return Header{}, errors.New("invalid header: created_at must be a UTC time between years 0 and 9999")
	}
	return h, nil
}

// decodeStrict is json.Unmarshal with unknown fields, duplicate keys and
// trailing data refused.
func decodeStrict(data []byte, v any) error {
	if err := checkNoDuplicateKeys(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// checkNoDuplicateKeys refuses an object that names a key twice:
// encoding/json would silently keep the last one, so an edited file could
// show one value and hash another. It scans the bytes once for the keys of
// each object (the decoder that runs next reports any syntax error), which
// costs a fraction of walking encoding/json's tokens.
func checkNoDuplicateKeys(data []byte) error {
	type object struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*object // nil for an array
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, &object{expectKey: true})
		case '[':
			stack = append(stack, nil)
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1] != nil {
				stack[n-1].expectKey = true
			}
		case '"':
			end, escaped := i+1, false
			for end < len(data) && data[end] != '"' {
				if data[end] == '\\' {
					escaped = true
					end++
				}
				end++
			}
			if end >= len(data) {
				return nil // unterminated: the decoder says so
			}
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].expectKey {
				o := stack[n-1]
				o.expectKey = false
				key := string(data[i+1 : end])
				if escaped {
					if json.Unmarshal(data[i:end+1], &key) != nil {
						return nil
					}
				}
				// encoding/json matches names ignoring case (and folding
				// ſ to s): so must the duplicate check.
				folded := foldKey(key)
				if o.keys == nil {
					o.keys = map[string]bool{}
				}
				if o.keys[folded] {
					return fmt.Errorf("duplicate key %q", clip(key))
				}
				o.keys[folded] = true
			}
			i = end
		}
	}
	return nil
}

// foldKey is k with every rune in its smallest simple case fold, so that
// keys encoding/json would match to one field compare equal.
func foldKey(k string) string {
	if isASCII(k) {
		// For ASCII letters the smallest fold is the upper case, even for
		// k and s (whose other folds are the Kelvin sign and long s).
		return strings.ToUpper(k)
	}
	return strings.Map(func(r rune) rune {
		for {
			f := unicode.SimpleFold(r)
			if f <= r {
				return f
			}
			r = f
		}
	}, k)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// check holds a decoded event to what a writer of this build produces.
func (e Event) check() error {
	if !knownKind[e.Kind] {
		return fmt.Errorf("unknown kind %q", clip(e.Kind))
	}
	if !validTime(e.At) {
		return errors.New("at must be a UTC time between years 0 and 9999")
	}
	if !isHash(e.Hash) {
		return errors.New("hash must be 64 lower-case hex digits")
	}
	if len(e.Parents) == 0 {
		return errors.New("no parents")
	}
	for _, p := range append(slicesClone(e.Parents), e.Revokes...) {
		if !isHash(p) {
			return fmt.Errorf("%q is not a hash", clip(p))
		}
	}
	return nil
}

var knownKind = map[string]bool{
	EventStart: true, EventSign: true, EventWaive: true, EventRevoke: true,
	EventCheck: true, EventForce: true, EventStatus: true, EventRetarget: true,
}

func validTime(t time.Time) bool {
	y := t.Year()
	return t.Location() == time.UTC && y >= 0 && y <= 9999
}

func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// fileTime is the event time as a file name starts with: fixed width, so
// a listing sorts by time, and no colons, so every file system takes it.
const fileTime = "20060102T150405.000000000Z"

// FileName is the name of the event's file: its UTC time, its kind, item
// and role (or new status), and the first 16 hex digits of its hash, so
// `git log --stat` reads as the release's history.
func (e Event) FileName() string {
	parts := []string{e.At.UTC().Format(fileTime), e.Kind}
	if e.Kind == EventStatus && e.Status != "" {
		parts = append(parts, e.Status)
	}
	for _, s := range []string{e.Item, e.Role} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	h := e.Hash
	if len(h) > 16 {
		h = h[:16]
	}
	return sanitizeName(strings.Join(append(parts, h), "-")) + ".json"
}

// sanitizeName keeps a name to [A-Za-z0-9._-]: item and role ids already
// are, but an event read from elsewhere may not be.
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// checkText refuses a text field a reader could not take back.
func checkText(what, s string) error {
	if len(s) > MaxTextLen {
		return fmt.Errorf("%s is %d bytes; the limit is %d", what, len(s), MaxTextLen)
	}
	return nil
}

func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
