package jsonenc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// oracle is encoding/json's encoding of v, as Encoder writes it.
func oracle(t *testing.T, v any, indent bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendStringMatchesEncodingJSON tries every byte, and every rune
// around the ones encoding/json treats specially, in a string.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, r := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0x2027, 0x2028, 0x2029, 0x202a, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		cases = append(cases, string(r), "<"+string(r)+">")
	}
	for _, s := range cases {
		if got, want := AppendString(nil, s), oracle(t, s, false); !bytes.Equal(got, want) {
			t.Errorf("%q encoded as %s, encoding/json writes %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("quote \" backslash \\ nul \x00 \u2028 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendString(nil, s), oracle(t, s, false); !bytes.Equal(got, want) {
			t.Errorf("%q encoded as %s, encoding/json writes %s", s, got, want)
		}
	})
}

// TestPlainRun holds PlainRun to the byte table, for each byte in each
// place of a run of plain bytes, and after it.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for n := range 20 {
			for _, tail := range []string{"", "\"", "\x00", "é", "abc"} {
				s := strings.Repeat("a", n) + string([]byte{byte(c)}) + tail
				want := n
				if plain[c] {
					want = n + 1 + PlainRun(tail)
				}
				if got := PlainRun(s); got != want {
					t.Errorf("PlainRun(%q) = %d, want %d", s, got, want)
				}
			}
		}
	}
}

type inner struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Empty []string `json:"empty"`
}

type outer struct {
	ID      int64     `json:"id"`
	On      bool      `json:"on"`
	At      time.Time `json:"at"`
	Skip    string    `json:"skip,omitempty"`
	Inner   []inner   `json:"inner"`
	Deep    [][][]string
	Nothing []inner `json:"nothing"`
}

func (e *Encoder) outer(b []byte, v outer) []byte {
	b = e.Open(b, '{')
	b = e.Int(b, `"id":`, v.ID)
	b = e.Bool(b, `"on":`, v.On)
	b = e.Time(b, `"at":`, v.At)
	b = e.StrOmit(b, `"skip":`, v.Skip)
	b = e.Open(e.Key(b, `"inner":`), '[')
	for _, in := range v.Inner {
		b = e.Open(e.Elem(b), '{')
		b = e.Str(b, `"name":`, in.Name)
		b = e.Strings(b, `"tags":`, in.Tags)
		b = e.Strings(b, `"empty":`, in.Empty)
		b = e.Close(b, '}')
	}
	b = e.Close(b, ']')
	b = e.Open(e.Key(b, `"Deep":`), '[')
	for _, l1 := range v.Deep {
		b = e.Open(e.Elem(b), '[')
		for _, l2 := range l1 {
			b = e.Open(e.Elem(b), '[')
			for _, s := range l2 {
				b = AppendString(e.Elem(b), s)
			}
			b = e.Close(b, ']')
		}
		b = e.Close(b, ']')
	}
	b = e.Close(b, ']')
	b = e.Open(e.Key(b, `"nothing":`), '[')
	b = e.Close(b, ']')
	return e.Close(b, '}')
}

// The layout, compact and indented, nested objects and arrays, empty ones
// and omitted fields are as encoding/json writes them.
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	v := outer{ID: -42, On: true, At: time.Date(2026, 11, 25, 10, 4, 5, 120, time.UTC), // Time writes UTC
		Inner:   []inner{{Name: "a\"b", Tags: []string{"x", "y"}, Empty: []string{}}, {Name: "", Tags: []string{}, Empty: []string{}}},
		Deep:    [][][]string{{{"1", "2"}, {}}, {}},
		Nothing: []inner{}}
	for _, indent := range []bool{false, true} {
		e := Encoder{Indent: indent}
		got := e.outer(nil, v)
		if e.Err() != nil {
			t.Fatal(e.Err())
		}
		if want := oracle(t, v, indent); !bytes.Equal(got, want) {
			t.Errorf("indent=%v: wrote\n%s\nencoding/json writes\n%s", indent, got, want)
		}
	}
}

// Deeper than the indentation constant covers, indentation keeps growing.
func TestEncoderDeepIndent(t *testing.T) {
	const depth = 40
	var v any = "x"
	for range depth {
		v = []any{v}
	}
	e := Encoder{Indent: true}
	b := e.Open(nil, '[')
	for range depth - 1 {
		b = e.Open(e.Elem(b), '[')
	}
	b = AppendString(e.Elem(b), "x")
	for range depth {
		b = e.Close(b, ']')
	}
	if want := oracle(t, v, true); !bytes.Equal(b, want) {
		t.Errorf("wrote\n%s\nencoding/json writes\n%s", b, want)
	}
}

// A time encoding/json refuses is an error, not a wrong file.
func TestEncoderTimeOutOfRange(t *testing.T) {
	var e Encoder
	e.Time(nil, `"at":`, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if e.Err() == nil {
		t.Fatal("year 10000 written without an error")
	}
}
