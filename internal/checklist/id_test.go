package checklist

import (
	"regexp"
	"strings"
	"testing"
)

var idRegexp = regexp.MustCompile(IDPattern)

func TestValidIDMatchesPattern(t *testing.T) {
	for _, s := range []string{
		"", "a", "0", "-", "-a", "a-", "a--b", "qa-signoff", "Qa", "a_b", "a.b", "a b", "é",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "a\n", "\na",
	} {
		if got, want := ValidID(s), idRegexp.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, pattern says %v", s, got, want)
		}
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"qa-signoff", "-x", "A", strings.Repeat("z", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), idRegexp.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, pattern says %v", s, got, want)
		}
	})
}
