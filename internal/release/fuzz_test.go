package release

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the state file parser. Whatever
// decodes must survive every read-only operation, encode, and round-trip to
// the same canonical bytes; VerifyBytes must never panic.
func FuzzDecode(f *testing.F) {
	valid, err := Encode(small(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Fuzz(func(t *testing.T, data []byte) {
		problems := VerifyBytes(data)
		r, err := Decode(data)
		if err != nil {
			if len(problems) == 0 {
				t.Fatalf("VerifyBytes found nothing in a file Decode rejects: %v", err)
			}
			return
		}
		r.Status()
		r.Verify()
		v := r.Evaluate()
		for _, p := range v.Phases {
			r.Gate(p.ID, nil) //nolint:errcheck // only must not panic
		}
		r.Gate("", nil)                   //nolint:errcheck
		r.Gate("", r.Checklist.ItemIDs()) //nolint:errcheck
		r.Actionable("x", "", Policy{SeparationOfDuties: true})

		canon, err := Encode(r)
		if err != nil {
			t.Fatalf("decoded release does not encode: %v", err)
		}
		back, err := Decode(canon)
		if err != nil {
			t.Fatalf("canonical encoding does not decode: %v\n%s", err, canon)
		}
		again, err := Encode(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(canon, again) {
			t.Fatalf("encoding not stable:\n%s\n---\n%s", canon, again)
		}
		if bytes.Equal(canon, data) != !containsCanonicalProblem(problems) {
			t.Fatalf("canonical check disagrees with Encode: problems %q", problems)
		}
	})
}

func containsCanonicalProblem(problems []string) bool {
	for _, p := range problems {
		if strings.Contains(p, "canonical form") {
			return true
		}
	}
	return false
}

// TestFuzzSeedsPresent keeps the seed corpus honest: it must hold the
// cases the parser has to reject or accept.
func TestFuzzSeedsPresent(t *testing.T) {
	for _, name := range []string{"valid", "empty", "empty-object", "future-format", "invalid-utf8", "nul", "deep-nesting"} {
		if _, err := os.Stat(filepath.Join("testdata", "fuzz", "FuzzDecode", name)); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
}
