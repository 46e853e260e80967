package release

import (
	"strings"
	"testing"
	"unicode"
)

// TestFoldKeyASCIIFastPath: the ASCII fast path folds exactly as the rune
// by rune fold does, so "Actor" and "actor" (and "ſtatus") collide.
func TestFoldKeyASCIIFastPath(t *testing.T) {
	slow := func(k string) string {
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
	for c := 0; c < 128; c++ {
		k := string(rune(c)) + "ind"
		if got, want := foldKey(k), slow(k); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", k, got, want)
		}
	}
	if foldKey("status") != foldKey("ſtatus") || foldKey("kind") != foldKey("\u212aind") {
		t.Error("keys encoding/json matches to one field must fold alike")
	}
}
