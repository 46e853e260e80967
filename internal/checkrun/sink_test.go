package checkrun

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSinkMemoryIsBounded(t *testing.T) {
	s := newSink()
	h := sha256.New()
	chunk := bytes.Repeat([]byte("0123456789abcdef\n"), 77) // odd size: exercises compaction
	for i := 0; i < 10000; i++ {
		s.Write(chunk)
		h.Write(chunk)
		if cap(s.buf) > 2*tailBytes {
			t.Fatalf("buffer grew to %d bytes", cap(s.buf))
		}
	}
	s.Write(bytes.Repeat([]byte("x"), 3*tailBytes)) // one write larger than the tail
	h.Write(bytes.Repeat([]byte("x"), 3*tailBytes))
	if cap(s.buf) > 2*tailBytes {
		t.Fatalf("buffer grew to %d bytes", cap(s.buf))
	}
	if got, want := s.sum(), hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sum = %s, want %s", got, want)
	}
	if got := s.tail(); got != strings.Repeat("x", tailBytes) {
		t.Errorf("tail = %d bytes, want the last %d x", len(got), tailBytes)
	}
}

func TestSinkKeepsLastBytesAcrossWrites(t *testing.T) {
	s := newSink()
	var all []byte
	for i := 0; i < 3000; i++ {
		p := []byte(strings.Repeat(string(rune('a'+i%26)), i%50) + "\n")
		s.Write(p)
		all = append(all, p...)
	}
	if got, want := tailOf(s.buf, true), tailOf(all[len(all)-tailBytes:], true); got != want {
		t.Errorf("tail from ring = %q\nwant %q", got, want)
	}
}

func TestTailOf(t *testing.T) {
	long := strings.Repeat("é", tailBytes) // 2 bytes a rune: a cut can split one
	tests := []struct {
		name, in  string
		truncated bool
		want      string
	}{
		{"empty", "", false, ""},
		{"no final newline", "a\nb", false, "a\nb"},
		{"exactly 20 lines", strings.Repeat("x\n", 20), false, strings.Repeat("x\n", 20)},
		{"21 lines", "first\n" + strings.Repeat("x\n", 20), false, strings.Repeat("x\n", 20)},
		{"21 lines unterminated", "first\n" + strings.Repeat("x\n", 19) + "x", false, strings.Repeat("x\n", 19) + "x"},
		{"drops a cut first line", "rtial\nwhole\n", true, "whole\n"},
		{"keeps one long line", "abc\n", true, "abc\n"},
		{"invalid utf-8", "a\xffb\n", false, "a\uFFFDb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tailOf([]byte(tt.in), tt.truncated); got != tt.want {
				t.Errorf("tailOf(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	got := tailOf([]byte(long), false)
	if len(got) > tailBytes || !utf8.ValidString(got) || strings.ContainsRune(got, utf8.RuneError) {
		t.Errorf("long line tail: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
