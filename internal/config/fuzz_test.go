package config

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var fuzzRoleID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`) // SPEC §3 ids

// FuzzParse: no input makes Parse panic or hang; every error is a
// ParseError whose problems all carry a position; a success decodes to
// values Load can use.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"state_dir: .octorelease\nroles:\n  sre:\n    name: Ops\n    members: [alice]\npolicy:\n  separation_of_duties: true\n",
		"bogus: 1\n",
		"{{},<<}",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		file, err := Parse("c.yaml", data)
		if d := time.Since(start); d > 30*time.Second { // hang guard, not a speed limit
			t.Errorf("Parse took %s", d)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error %T %v is not a ParseError with problems", err, err)
			}
			for _, p := range pe.Problems {
				if p.Line < 1 || p.Col < 1 || p.Msg == "" {
					t.Errorf("problem without a position or message: %+v", p)
				}
			}
			if !strings.HasPrefix(err.Error(), "c.yaml:") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if file == nil {
			t.Fatal("nil File without an error")
		}
		if file.LockTimeout != nil && *file.LockTimeout <= 0 {
			t.Errorf("accepted lock_timeout %s", *file.LockTimeout)
		}
		for _, r := range file.Roles {
			if !fuzzRoleID.MatchString(r.ID) {
				t.Errorf("accepted role id %q", r.ID)
			}
		}
		_ = mergeRoles(file.Roles)
		_ = file.asMap()
	})
}
